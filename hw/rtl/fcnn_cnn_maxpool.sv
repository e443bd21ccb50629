// fcnn_cnn_maxpool: streaming 2-D max pooling, stride = pool size, valid padding.
//
// Keras MaxPooling2D(pool_size=P, strides=P, padding="valid"): the input image
// of H x W pixels (one beat = one pixel, all C channels) is cut into P x P
// windows; trailing rows and columns that do not fill a window are consumed
// and dropped. The output is the (H/P) x (W/P) pixels of window maxima in
// raster order, m_axis_tlast on the last one. P = 1 is a pass-through.
//
// Framing is by count: an image is exactly W*H input beats. s_axis_tlast is not
// checked (a well-formed stream carries it on pixel W*H-1 only).
//
// Structure. A horizontal partial maximum (hacc) runs across the P pixels of
// one window row; at the window's last column it is written to a row buffer
// of W/P entries (the partial maximum over the window rows seen so far) or,
// on the window's last row, sent out. The output goes through an
// fcnn_axis_skid, whose registered ready is the input ready: one pixel per
// clock, no combinational path from m_axis_tready to s_axis_tready.
`default_nettype none

module fcnn_cnn_maxpool #(
    // Channels per beat (elements of one pixel).
    parameter int C = 1,
    // Bits per element.
    parameter int BW = 8,
    // 1: elements are signed two's complement; 0: unsigned.
    parameter int SIGNED = 0,
    // Input image width in pixels.
    parameter int W = 4,
    // Input image height in pixels.
    parameter int H = 4,
    // Pool size and stride (P x P windows).
    parameter int P = 2
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [C*BW-1:0]   s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tlast,

    output wire [C*BW-1:0]   m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int DW  = C * BW;
    localparam int OW  = (P >= 1) ? W / P : 1;                 // output width
    localparam int OH  = (P >= 1) ? H / P : 1;                 // output height
    localparam int XB  = (W > 1) ? $clog2(W) : 1;              // input column counter
    localparam int YB  = (H > 1) ? $clog2(H) : 1;              // input row counter
    localparam int KB  = (P > 1) ? $clog2(P) : 1;              // position inside a window
    localparam int AB  = (OW > 1) ? $clog2(OW) : 1;            // row-buffer address
    localparam int OYB = (OH > 1) ? $clog2(OH) : 1;            // output row counter

    if (C < 1) begin : g_bad_c
        $fatal(1, "fcnn_cnn_maxpool: C must be >= 1, got %0d", C);
    end
    if (BW < 1) begin : g_bad_bw
        $fatal(1, "fcnn_cnn_maxpool: BW must be >= 1, got %0d", BW);
    end
    if (SIGNED != 0 && SIGNED != 1) begin : g_bad_signed
        $fatal(1, "fcnn_cnn_maxpool: SIGNED must be 0 or 1, got %0d", SIGNED);
    end
    if (P < 1) begin : g_bad_p
        $fatal(1, "fcnn_cnn_maxpool: P must be >= 1, got %0d", P);
    end
    if (W < P || H < P) begin : g_bad_size
        $fatal(1, "fcnn_cnn_maxpool: W and H must be >= P, got W=%0d H=%0d P=%0d", W, H, P);
    end

    // ------------------------------------------------------------------
    // Position of the incoming pixel
    // ------------------------------------------------------------------
    wire ce;                            // the output skid buffer has room
    assign s_axis_tready = ce;
    wire fire = s_axis_tvalid && ce;

    logic [XB-1:0]  x;                  // input column
    logic [YB-1:0]  y;                  // input row
    logic [KB-1:0]  kx, ky;             // column / row inside the window
    logic [AB-1:0]  ox;                 // window column (row-buffer address)
    logic [OYB-1:0] oy;                 // window row
    logic           x_off, y_off;       // past the last full window column / row

    wire x_end  = (x == XB'(W - 1));
    wire y_end  = (y == YB'(H - 1));
    wire kx_end = (kx == KB'(P - 1));
    wire ky_end = (ky == KB'(P - 1));
    wire ox_end = (ox == AB'(OW - 1));
    wire oy_end = (oy == OYB'(OH - 1));
    wire in_win = !x_off && !y_off;

    always_ff @(posedge clk) begin
        if (fire) begin
            if (x_end) begin
                x     <= '0;
                kx    <= '0;
                ox    <= '0;
                x_off <= 1'b0;
                if (y_end) begin
                    y     <= '0;
                    ky    <= '0;
                    oy    <= '0;
                    y_off <= 1'b0;
                end else begin
                    y <= y + YB'(1);
                    if (ky_end) begin
                        ky <= '0;
                        if (oy_end) y_off <= 1'b1;
                        else        oy    <= oy + OYB'(1);
                    end else begin
                        ky <= ky + KB'(1);
                    end
                end
            end else begin
                x <= x + XB'(1);
                if (kx_end) begin
                    kx <= '0;
                    if (ox_end) x_off <= 1'b1;
                    else        ox    <= ox + AB'(1);
                end else begin
                    kx <= kx + KB'(1);
                end
            end
        end
        if (rst) begin
            x     <= '0;
            y     <= '0;
            kx    <= '0;
            ky    <= '0;
            ox    <= '0;
            oy    <= '0;
            x_off <= 1'b0;
            y_off <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // Partial maxima
    // ------------------------------------------------------------------
    logic [DW-1:0] row_buf [OW];        // max over the window rows seen so far
    logic [DW-1:0] hacc;                // max over this window row's pixels so far

    wire           first = (kx == '0) && (ky == '0);   // first pixel of a window
    wire [DW-1:0]  base  = (kx == '0) ? row_buf[ox] : hacc;
    wire [DW-1:0]  pmax;                // max(base, pixel), or the pixel when first

    for (genvar c = 0; c < C; c++) begin : g_ch
        wire [BW-1:0] a = s_axis_tdata[c*BW +: BW];
        wire [BW-1:0] b = base[c*BW +: BW];
        wire          gt;
        if (SIGNED == 1) begin : g_signed
            assign gt = $signed(a) > $signed(b);
        end else begin : g_unsigned
            assign gt = a > b;
        end
        assign pmax[c*BW +: BW] = (first || gt) ? a : b;
    end

    always_ff @(posedge clk) begin
        if (fire && in_win) begin
            hacc <= pmax;
            if (kx_end && !ky_end) row_buf[ox] <= pmax;
        end
    end

    // ------------------------------------------------------------------
    // Output
    // ------------------------------------------------------------------
    wire emit = fire && in_win && kx_end && ky_end;
    wire last = ox_end && oy_end;
    wire _unused_s_last = s_axis_tlast;

    fcnn_axis_skid #(
        .WIDTH(DW + 1)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({last, pmax}),
        .s_valid (emit),
        .s_ready (ce),
        .m_data  ({m_axis_tlast, m_axis_tdata}),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );

endmodule

`resetall
