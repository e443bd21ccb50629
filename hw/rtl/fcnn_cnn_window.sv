// fcnn_cnn_window: line buffers and a K x K sliding window for a stride-1 convolution.
//
// Input: one pixel (C elements of BW bits, element c at [c*BW +: BW]) per beat,
// an H x W image in raster order. The module walks the zero-padded image
// ((H + 2*PAD) x (W + 2*PAD)); real positions consume an input beat, padding
// positions insert zeros without consuming input. Each position with a full
// window emits it: m_axis_tdata holds K*K*C elements, element ((ky*K + kx)*C + c) at
// bits [((ky*K + kx)*C + c)*BW +: BW] -- the order of a Keras kernel reshaped to
// (K*K*C, filters). Output windows come in raster order of the output image
// ((H + 2*PAD - K + 1) x (W + 2*PAD - K + 1)), m_axis_tlast on the last one.
// With PAD = 0 an image takes H*W steps (one pixel per clock); with padding it
// takes (H + 2*PAD) * (W + 2*PAD).
`default_nettype none

module fcnn_cnn_window #(
    // Elements (channels) per pixel.
    parameter int C = 1,
    // Bits per element.
    parameter int BW = 8,
    // Input image width.
    parameter int W = 8,
    // Input image height.
    parameter int H = 8,
    // Kernel size (K x K).
    parameter int K = 3,
    // Zero padding on each side (0 = 'valid', (K-1)/2 = 'same').
    parameter int PAD = 0
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [C*BW-1:0]       s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [K*K*C*BW-1:0]   m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

    localparam int WP = W + 2 * PAD;          // padded width
    localparam int HP = H + 2 * PAD;          // padded height
    localparam int PW = C * BW;               // one pixel
    localparam int XW = $clog2(WP + 1);
    localparam int YW = $clog2(HP + 1);

    if (K < 1) begin : g_bad_k
        $fatal(1, "fcnn_cnn_window: K must be >= 1, got %0d", K);
    end
    if (PAD < 0 || PAD >= K) begin : g_bad_pad
        $fatal(1, "fcnn_cnn_window: PAD must be 0..K-1, got %0d", PAD);
    end
    if (WP < K || HP < K) begin : g_bad_size
        $fatal(1, "fcnn_cnn_window: padded image %0dx%0d is smaller than the kernel %0d",
               HP, WP, K);
    end

    // Position in the padded image.
    logic [XW-1:0] px;
    logic [YW-1:0] py;
    wire real_pos;
    if (PAD == 0) begin : g_nopad
        assign real_pos = 1'b1;
    end else begin : g_pad
        assign real_pos = (py >= YW'(PAD)) && (py < YW'(PAD + H)) &&
                          (px >= XW'(PAD)) && (px < XW'(PAD + W));
    end
    wire emit;
    if (K == 1) begin : g_emit_all
        assign emit = 1'b1;
    end else begin : g_emit
        assign emit = (py >= YW'(K - 1)) && (px >= XW'(K - 1));
    end
    wire last_pos = (py == YW'(HP - 1)) && (px == XW'(WP - 1));

    // Output register.
    logic [K*K*PW-1:0] out_data;
    logic              out_valid, out_last;
    wire out_free = !out_valid || m_axis_tready;

    assign s_axis_tready = out_free && real_pos;
    wire   step    = out_free && (real_pos ? s_axis_tvalid : 1'b1);
    wire [PW-1:0] cur = real_pos ? s_axis_tdata : '0;

    // Column at px: rows py-K+1 .. py (top first).
    wire [K*PW-1:0] col;
    // The window: columns px-K+1 .. px (left first), each K pixels (top first).
    wire  [K*K*PW-1:0] win_next;

    if (K == 1) begin : g_k1
        assign col      = cur;
        assign win_next = col;
    end else begin : g_kn
        // Columns px-K+1 .. px-1 of the previous steps.
        logic [(K-1)*K*PW-1:0] win;
        always_ff @(posedge clk) begin
            if (step) win <= win_next[K*K*PW-1:K*PW];
        end
        // Line buffer: rows py-K+1 .. py-1 at each column, asynchronous read.
        logic [(K-1)*PW-1:0] lb [WP];
        wire  [(K-1)*PW-1:0] lb_rd = lb[px[$clog2(WP)-1:0]];
        assign col = {cur, lb_rd};   // bits [k*PW +: PW] = row py-K+1+k
        always_ff @(posedge clk) begin
            if (step) lb[px[$clog2(WP)-1:0]] <= col[K*PW-1:PW];
        end
        assign win_next = {col, win};
    end

    // The window as emitted: column kx at [kx*K*PW +: K*PW], row ky at [ky*PW +: PW]
    // inside it. Reorder to the Keras (ky, kx, c) order.
    wire [K*K*PW-1:0] keras_order;
    for (genvar ky = 0; ky < K; ky++) begin : g_ky
        for (genvar kx = 0; kx < K; kx++) begin : g_kx
            assign keras_order[(ky*K + kx)*PW +: PW] = win_next[(kx*K + ky)*PW +: PW];
        end
    end

    always_ff @(posedge clk) begin
        if (m_axis_tready) out_valid <= 1'b0;
        if (step) begin
            if (emit) begin
                out_valid <= 1'b1;
                out_data  <= keras_order;
                out_last  <= last_pos;
            end
            if (px == XW'(WP - 1)) begin
                px <= '0;
                py <= last_pos ? '0 : py + YW'(1);
            end else begin
                px <= px + XW'(1);
            end
        end
        if (rst) begin
            px        <= '0;
            py        <= '0;
            out_valid <= 1'b0;
        end
    end

    assign m_axis_tdata  = out_data;
    assign m_axis_tvalid = out_valid;
    assign m_axis_tlast  = out_last;

    // The image size is fixed by parameters; the input's last flag is not needed.
    wire _unused_last = &{1'b0, s_axis_tlast, 1'b0};

endmodule

`resetall
