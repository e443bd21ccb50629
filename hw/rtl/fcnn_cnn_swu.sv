// fcnn_cnn_swu: streaming sliding-window unit (line buffer in a memory) for a folded
// convolution: the window leaves as K*K*C/SIMD beats of SIMD elements each.
//
// Input (the contract of fcnn_cnn_window): one pixel per beat, C elements of BW bits,
// element c at s_axis_tdata[c*BW +: BW], an H x W image in raster order. Framing is by
// count (s_axis_tlast is not read). The pixels are written into a line buffer of ROWS
// image rows (a memory: RAM_STYLE "block" = BRAM, "distributed" = LUTRAM), one pixel
// per word, address {row slot, column}; the rows of consecutive images follow one
// another in the ring of slots, so the next image's first rows are written while the
// current image's last windows are still read.
//
// Output: for each output pixel (oy, ox) in raster order (OH x OW of them), the window
// whose top-left input position is (oy*STRIDE - PAD, ox*STRIDE - PAD), as K*K*C/SIMD
// beats: beat b = (ky*K + kx)*(C/SIMD) + cf carries the SIMD elements
// c = cf*SIMD + s (lane s at m_axis_tdata[s*BW +: BW]) of input pixel
// (oy*STRIDE - PAD + ky, ox*STRIDE - PAD + kx); a position outside the H x W image
// (padding, any side) gives zeros. The window's element e = b*SIMD + s is thus
// ((ky*K + kx)*C + c): the Keras kernel reshaped to (K*K*C, filters), the order of
// fcnn_cnn_mvu's vector with C_IN = SIMD (it frames its vectors by count). m_axis_tlast
// is 1 on the last beat of the image's last window. OH/OW default to symmetric padding
// ((H + 2*PAD - K)/STRIDE + 1); Keras 'same' with STRIDE > 1 passes PAD = the top/left
// padding and OH = ceil(H/STRIDE): the extra bottom/right positions read zeros.
//
// Throughput: one output beat per clock while the data is there and m_axis_tready is
// high; the input takes one pixel per clock while a row slot is free. The reader waits
// (per beat) only for a pixel not yet written; the writer waits (at the start of a row)
// only while all ROWS slots hold rows the reader still needs. ROWS (>= K + STRIDE) sets
// how far the writer runs ahead: the default 2*K + STRIDE lets it write the next image's
// first K rows during the current image's last output row, so a layer fed fast enough
// has no bubble between images: an image takes max(H*W, OH*OW*K*K*C/SIMD) clocks.
// Handshakes: s_axis_tready is a function of registers only; m_axis_tvalid/tdata/tlast
// are registers; m_axis_tready enables the two-stage read pipeline (memory read
// register, output register), no path from m_axis_tready to s_axis_tready.
//
// Resources: the line buffer ROWS * 2^ceil(log2 W) words of C*BW bits (memory), the
// output register SIMD*BW + 2 flip-flops, the read register C*BW, a C/SIMD-to-1 mux of
// SIMD*BW bits, counters (~10 of <= log2(max(H, W)) + 2 bits) and their comparators.
`default_nettype none

module fcnn_cnn_swu #(
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
    // Zero padding on the top and on the left (0..K-1); bottom/right follow from OH/OW.
    parameter int PAD = 0,
    // Stride (>= 1), both directions.
    parameter int STRIDE = 1,
    // Elements per output beat (C % SIMD == 0).
    parameter int SIMD = 1,
    // Output image height and width (windows per column / row).
    parameter int OH = (H + 2 * PAD - K) / STRIDE + 1,
    parameter int OW = (W + 2 * PAD - K) / STRIDE + 1,
    // Line buffer rows (>= K + STRIDE).
    parameter int ROWS = 2 * K + STRIDE,
    // Line buffer memory: "block" (BRAM) or "distributed" (LUTRAM).
    parameter RAM_STYLE = "block"
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [C*BW-1:0]       s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [SIMD*BW-1:0]    m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int SIMD1 = (SIMD >= 1) ? SIMD : 1;
    localparam int CF    = C / SIMD1;                          // beats per pixel
    localparam int PXW   = C * BW;                             // one pixel
    localparam int SW    = SIMD1 * BW;                         // one output beat
    localparam int CB    = (W > 1) ? $clog2(W) : 1;            // column address bits
    localparam int RB    = $clog2(ROWS);                       // row slot bits
    localparam int AB    = RB + CB;                            // line buffer address
    localparam int HB    = $clog2(H + 1);
    localparam int XB    = $clog2(W + 1);
    localparam int MAXD  = (H > W) ? H : W;
    // Signed image positions: -PAD .. max(H, W) + K + STRIDE.
    localparam int PB    = $clog2(MAXD + K + STRIDE + PAD + 1) + 2;
    localparam int KB    = (K > 1) ? $clog2(K) : 1;
    localparam int CFB   = (CF > 1) ? $clog2(CF) : 1;
    localparam int OYB   = (OH > 1) ? $clog2(OH) : 1;
    localparam int OXB   = (OW > 1) ? $clog2(OW) : 1;
    localparam int UB    = $clog2(ROWS + H + 1) + 1;           // rows in use (signed)
    localparam int IB    = $clog2(ROWS + 2) + 1;               // images ahead (signed)
    localparam logic [127:0] STYLE = 128'(RAM_STYLE);

    if (C < 1 || BW < 1 || W < 1 || H < 1 || K < 1 || STRIDE < 1 || SIMD < 1)
    begin : g_bad_size
        $fatal(1, "fcnn_cnn_swu: C, BW, W, H, K, STRIDE and SIMD must be >= 1, got %0d, %0d, %0d, %0d, %0d, %0d, %0d",
               C, BW, W, H, K, STRIDE, SIMD);
    end
    if (C % SIMD1 != 0) begin : g_bad_simd
        $fatal(1, "fcnn_cnn_swu: need C %% SIMD == 0, got C=%0d SIMD=%0d", C, SIMD);
    end
    if (PAD < 0 || PAD >= K) begin : g_bad_pad
        $fatal(1, "fcnn_cnn_swu: PAD must be 0..K-1, got %0d", PAD);
    end
    if (OH < 1 || OW < 1 || (OH - 1) * STRIDE - PAD > H - 1 || (OW - 1) * STRIDE - PAD > W - 1)
    begin : g_bad_out
        $fatal(1, "fcnn_cnn_swu: OH=%0d OW=%0d windows do not fit the %0dx%0d image (K=%0d, PAD=%0d, STRIDE=%0d)",
               OH, OW, H, W, K, PAD, STRIDE);
    end
    if (ROWS < K + STRIDE) begin : g_bad_rows
        $fatal(1, "fcnn_cnn_swu: ROWS must be >= K + STRIDE = %0d, got %0d", K + STRIDE, ROWS);
    end
    if (STYLE != 128'("block") && STYLE != 128'("distributed")) begin : g_bad_style
        $fatal(1, "fcnn_cnn_swu: RAM_STYLE must be \"block\" or \"distributed\", got \"%s\"",
               RAM_STYLE);
    end

    // Ring arithmetic on row slots: (a + b) mod ROWS for a, b < ROWS.
    // (Verilog-2001 form: yosys 0.23 reads no typed function ports.)
    function automatic [RB-1:0] slot_add(input [RB-1:0] a, input [RB-1:0] b);
        reg [RB:0] s;
        begin
            s = {1'b0, a} + {1'b0, b};
            if (s >= (RB + 1)'(ROWS)) s = s - (RB + 1)'(ROWS);
            slot_add = s[RB-1:0];
        end
    endfunction

    localparam logic [RB-1:0] H_MOD   = RB'(H % ROWS);
    localparam logic [RB-1:0] NEG_PAD = RB'((ROWS - PAD % ROWS) % ROWS);
    localparam logic [RB-1:0] S_MOD   = RB'(STRIDE % ROWS);

    // ------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------
    // Writer: the next pixel (wy, wx) of its image, into row slot wslot.
    logic [XB-1:0]          wx;
    logic [HB-1:0]          wy;
    logic [RB-1:0]          wslot;
    // Reader: beat (cf, kx, ky) of window (oy, ox); ty = oy*STRIDE - PAD, lx = ox*STRIDE - PAD.
    logic [CFB-1:0]         cf;
    logic [KB-1:0]          kx, ky;
    logic [OXB-1:0]         ox;
    logic [OYB-1:0]         oy;
    logic signed [PB-1:0]   ty, lx;
    logic [RB-1:0]          base;        // slot of row 0 of the reader's image
    logic [RB-1:0]          rs0;         // slot of row ty (mod ROWS, also for ty < 0)
    logic [HB-1:0]          rel;         // rows of the reader's image released
    // Shared: rows started by the writer minus rows released by the reader (may go
    // below 0: at an image's end the reader releases rows it never reads), and images
    // finished by the writer minus images finished by the reader.
    logic signed [UB-1:0]   inuse;
    logic signed [IB-1:0]   ahead;

    // ------------------------------------------------------------------
    // Writer
    // ------------------------------------------------------------------
    wire w_row_start = (wx == '0);
    assign s_axis_tready = !w_row_start || (inuse < $signed(UB'(ROWS)));
    wire s_fire      = s_axis_tvalid && s_axis_tready;
    wire w_row_end   = (wx == XB'(W - 1));
    wire w_img_end   = w_row_end && (wy == HB'(H - 1));
    wire [AB-1:0] wa = {wslot, wx[CB-1:0]};
    wire _unused_s_last = s_axis_tlast;

    // ------------------------------------------------------------------
    // Reader: the current beat
    // ------------------------------------------------------------------
    logic                   o_valid;
    wire                    ce = !o_valid || m_axis_tready;   // the pipeline moves

    wire signed [PB-1:0] r = ty + $signed(PB'(ky));
    wire signed [PB-1:0] c = lx + $signed(PB'(kx));
    wire in_img = (r >= 0) && (r < $signed(PB'(H))) && (c >= 0) && (c < $signed(PB'(W)));
    wire written = (ahead > 0) ||
                   ((ahead == 0) && (($signed(PB'(wy)) > r) ||
                                     (($signed(PB'(wy)) == r) && ($signed(PB'(wx)) > c))));
    wire px_ok   = !in_img || written;
    wire issue   = ce && px_ok;
    wire [RB-1:0] rslot = slot_add(rs0, RB'(ky));
    wire [AB-1:0] ra    = {rslot, c[CB-1:0]};

    wire cf_last  = (cf == CFB'(CF - 1));
    wire kx_last  = (kx == KB'(K - 1));
    wire ky_last  = (ky == KB'(K - 1));
    wire ox_last  = (ox == OXB'(OW - 1));
    wire oy_last  = (oy == OYB'(OH - 1));
    wire win_end  = cf_last && kx_last && ky_last;
    wire row_end  = win_end && ox_last;
    wire img_end  = row_end && oy_last;

    // Rows released at the end of an output row: those above the next row's windows
    // (all of the image's rows at its end).
    wire signed [PB-1:0] ty_next = ty + $signed(PB'(STRIDE));
    wire [HB-1:0] rel_next = img_end ? HB'(H)
                           : (ty_next <= 0) ? '0
                           : (ty_next >= $signed(PB'(H))) ? HB'(H) : HB'(ty_next);
    wire [HB-1:0] release_n = (issue && row_end) ? rel_next - rel : '0;
    wire [RB-1:0] base_next = slot_add(base, H_MOD);

    always_ff @(posedge clk) begin
        if (s_fire) begin
            if (w_row_end) begin
                wx    <= '0;
                wslot <= slot_add(wslot, RB'(1));
                wy    <= w_img_end ? '0 : wy + HB'(1);
            end else begin
                wx <= wx + XB'(1);
            end
        end
        inuse <= inuse + ((s_fire && w_row_start) ? UB'(1) : '0) - $signed(UB'(release_n));
        ahead <= ahead + ((s_fire && w_img_end) ? IB'(1) : '0) - ((issue && img_end) ? IB'(1) : '0);
        if (issue) begin
            cf <= cf_last ? '0 : cf + CFB'(1);
            if (cf_last) begin
                kx <= kx_last ? '0 : kx + KB'(1);
                if (kx_last) begin
                    ky <= ky_last ? '0 : ky + KB'(1);
                    if (ky_last) begin
                        if (ox_last) begin
                            ox <= '0;
                            lx <= -$signed(PB'(PAD));
                            rel <= img_end ? '0 : rel_next;
                            if (oy_last) begin
                                oy   <= '0;
                                ty   <= -$signed(PB'(PAD));
                                base <= base_next;
                                rs0  <= slot_add(base_next, NEG_PAD);
                            end else begin
                                oy  <= oy + OYB'(1);
                                ty  <= ty_next;
                                rs0 <= slot_add(rs0, S_MOD);
                            end
                        end else begin
                            ox <= ox + OXB'(1);
                            lx <= lx + $signed(PB'(STRIDE));
                        end
                    end
                end
            end
        end
        if (rst) begin
            wx    <= '0;
            wy    <= '0;
            wslot <= '0;
            cf    <= '0;
            kx    <= '0;
            ky    <= '0;
            ox    <= '0;
            oy    <= '0;
            ty    <= -$signed(PB'(PAD));
            lx    <= -$signed(PB'(PAD));
            base  <= '0;
            rs0   <= NEG_PAD;
            rel   <= '0;
            inuse <= '0;
            ahead <= '0;
        end
    end

    // ------------------------------------------------------------------
    // Line buffer (written by the writer, read through the register q on ce)
    // ------------------------------------------------------------------
    wire [PXW-1:0] q;

    if (STYLE == 128'("distributed")) begin : g_lutram
        (* ram_style = "distributed" *) logic [PXW-1:0] mem [ROWS << CB];
        logic [PXW-1:0] q_r;
        always_ff @(posedge clk) begin
            if (s_fire) mem[wa] <= s_axis_tdata;
            if (ce) q_r <= mem[ra];
        end
        assign q = q_r;
    end else begin : g_bram
        (* ram_style = "block" *) logic [PXW-1:0] mem [ROWS << CB];
        logic [PXW-1:0] q_r;
        always_ff @(posedge clk) begin
            if (s_fire) mem[wa] <= s_axis_tdata;
            if (ce) q_r <= mem[ra];
        end
        assign q = q_r;
    end

    // ------------------------------------------------------------------
    // Stage 1 (beat facts beside q) and the output register
    // ------------------------------------------------------------------
    logic            p_valid, p_zero, p_last;
    logic [CFB-1:0]  p_cf;
    logic [SW-1:0]   o_data;
    logic            o_last;
    wire  [SW-1:0]   slice;

    if (CF > 1) begin : g_slice
        assign slice = q[p_cf * SW +: SW];
    end else begin : g_noslice
        assign slice = q;
        wire _unused_cf = &{1'b0, p_cf};
    end

    always_ff @(posedge clk) begin
        if (ce) begin
            p_valid <= px_ok;
            p_zero  <= !in_img;
            p_last  <= img_end;
            p_cf    <= cf;
            o_valid <= p_valid;
            o_data  <= p_zero ? '0 : slice;
            o_last  <= p_last;
        end
        if (rst) begin
            p_valid <= 1'b0;
            o_valid <= 1'b0;
        end
    end

    assign m_axis_tdata  = o_data;
    assign m_axis_tvalid = o_valid;
    assign m_axis_tlast  = o_last;

endmodule

`resetall
