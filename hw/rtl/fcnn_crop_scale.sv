// fcnn_crop_scale: cut a crop box out of a video stream and downscale it to the
// classifier's OUT_HEIGHT x OUT_WIDTH input (integer area resize), AXI4-Stream.
//
// Contract (bit-exact with fpgacnn.spec.frames.classifier_codes for the AREA
// resize and full_scale 256): for output pixel (o, p) and value channel c
//
//   code = round_half_even( sum_i sum_j wr[o,i] wc[p,j] v_c(i, j) / den )
//
// over the crop rows i and columns j, with the area weights of
// fpgacnn.spec.preprocess.resize_weights (wr: CROP_HEIGHT -> OUT_HEIGHT, wc:
// CROP_WIDTH -> OUT_WIDTH) and den = S * CROP_WIDTH * CROP_HEIGHT. The value
// channels v_c of an input pixel: its gray byte (IN_CHANNELS 1, S = 1); its
// R, G, B bytes (IN_CHANNELS 3, OUT_CHANNELS 3, S = 1); or 299 R + 587 G + 114 B
// (IN_CHANNELS 3, OUT_CHANNELS 1, S = 1000: the package's BT.601 gray, rounded
// once, after the resize). CTRL.INVERT outputs 255 - code. A gray input with
// OUT_CHANNELS 3 repeats the code in all three bytes.
//
// Streams. Input: AXI4-Stream video, PPC pixels per beat (1, 2, 4 or 8, lane 0 the
// leftmost; 8 or 24 bits each, BGR order selects the byte of B), tuser = start of
// frame, tlast = end of line; a line is ceil(FRAME_WIDTH / PPC) beats, the padding
// lanes of its last beat are ignored (the edge core's framing).
// Output: the classifier core's input, one pixel per beat (channel 0 = R or
// gray in the low byte), tlast on the image's last pixel; one image per frame.
//
// Registers (AXI4-Lite, fpgacnn.spec.cores.CROP_MAP): frame and crop geometry,
// latched at each accepted start of frame; a geometry the block cannot take
// (frame beyond the maxima, crop outside the frame, fewer crop lines than OUT_HEIGHT or
// fewer crop columns than PPC * OUT_WIDTH: fpgacnn.spec.crop_scale.min_crop_width)
// refuses that frame with ERROR.BAD_SIZE. Malformed input has the edge core's
// policy: sticky ERROR bits, the damaged image is completed with zero pixels
// (so the classifier stays in step), input is discarded up to the next SOF,
// never a deadlock.
//
// Registers take effect at a SOF beat offered from the fourth clock after the
// write (they are checked and decoded in three register stages); a SOF whose
// geometry changes the divisor waits until the images in flight have left.
//
// Rate: one beat (PPC pixels) per clock. A beat's pixels reach at most two output
// columns (the crop is at least PPC * OUT_WIDTH wide, so an output column spans at
// least PPC pixels): each lane's area weight splits its value between the current
// column (w1) and the next (w2), and the beat gives one horizontal sum of each.
//
// Pipeline (one clock enable, the output skid buffer's registered ready):
// S0 framing and the lanes' area weights, S1 value channels, S2 horizontal products
// (per lane), log2(PPC) adder-tree stages summing the lanes, S3 horizontal
// accumulation, S4 vertical products + accumulator read, S5 vertical accumulation
// and output count, D1..D8 one quotient bit each, D9 the rounding decision, then the
// skid buffer: 16 + log2(PPC) register stages from the input beat that completes an
// output pixel to that pixel's output beat. Wide adds are carry-select, so no
// register-to-register path exceeds 10 LUT/CARRY4 levels (the yosys proxy, at
// 1920x1080 maxima).
`default_nettype none

module fcnn_crop_scale #(
    // Pixels per input beat (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Channels of an input pixel: 1 (8-bit gray) or 3 (24-bit colour).
    parameter int IN_CHANNELS = 1,
    // Byte order of a colour input pixel: 1 = BGR (B in the low byte, OpenCV), 0 = RGB.
    parameter bit BGR = 1'b1,
    // Channels of an output pixel: 1 (gray) or 3 (R, G, B).
    parameter int OUT_CHANNELS = 1,
    // Width of the output image (the classifier's input width), >= 2.
    parameter int OUT_WIDTH = 8,
    // Height of the output image (the classifier's input height), >= 1.
    parameter int OUT_HEIGHT = 8,
    // Largest frame width in pixels.
    parameter int MAX_WIDTH = 1920,
    // Largest frame height in lines.
    parameter int MAX_HEIGHT = 1080
) (
    input  wire                      clk,
    input  wire                      rst,

    // AXI4-Lite register interface
    input  wire [7:0]                s_axil_awaddr,
    input  wire [2:0]                s_axil_awprot,
    input  wire                      s_axil_awvalid,
    output wire                      s_axil_awready,
    input  wire [31:0]               s_axil_wdata,
    input  wire [3:0]                s_axil_wstrb,
    input  wire                      s_axil_wvalid,
    output wire                      s_axil_wready,
    output wire [1:0]                s_axil_bresp,
    output wire                      s_axil_bvalid,
    input  wire                      s_axil_bready,
    input  wire [7:0]                s_axil_araddr,
    input  wire [2:0]                s_axil_arprot,
    input  wire                      s_axil_arvalid,
    output wire                      s_axil_arready,
    output wire [31:0]               s_axil_rdata,
    output wire [1:0]                s_axil_rresp,
    output wire                      s_axil_rvalid,
    input  wire                      s_axil_rready,

    // Video in
    input  wire [8*IN_CHANNELS*PPC-1:0] s_axis_tdata,
    input  wire                      s_axis_tvalid,
    output wire                      s_axis_tready,
    input  wire                      s_axis_tuser,
    input  wire                      s_axis_tlast,

    // Classifier input: one pixel per beat, tlast on the image's last pixel
    output wire [8*OUT_CHANNELS-1:0] m_axis_tdata,
    output wire                      m_axis_tvalid,
    input  wire                      m_axis_tready,
    output wire                      m_axis_tlast
);

    localparam logic [31:0] CORE_ID = 32'h43524F50;   // "CROP"
    localparam logic [31:0] VERSION = 32'h00010000;   // 1.0.0

    // Register offsets (bytes).
    localparam logic [7:0] A_CTRL             = 8'h00;
    localparam logic [7:0] A_STATUS           = 8'h04;
    localparam logic [7:0] A_ERROR            = 8'h08;
    localparam logic [7:0] A_FRAME_WIDTH      = 8'h0C;
    localparam logic [7:0] A_FRAME_HEIGHT     = 8'h10;
    localparam logic [7:0] A_CROP_X           = 8'h14;
    localparam logic [7:0] A_CROP_Y           = 8'h18;
    localparam logic [7:0] A_CROP_WIDTH       = 8'h1C;
    localparam logic [7:0] A_CROP_HEIGHT      = 8'h20;
    localparam logic [7:0] A_FRAME_COUNT      = 8'h24;
    localparam logic [7:0] A_DROP_COUNT       = 8'h28;
    localparam logic [7:0] A_CORE_ID          = 8'h2C;
    localparam logic [7:0] A_VERSION          = 8'h30;
    localparam logic [7:0] A_CFG_OUT_WIDTH    = 8'h34;
    localparam logic [7:0] A_CFG_OUT_HEIGHT   = 8'h38;
    localparam logic [7:0] A_CFG_IN_CHANNELS  = 8'h3C;
    localparam logic [7:0] A_CFG_OUT_CHANNELS = 8'h40;
    localparam logic [7:0] A_CFG_MAX_WIDTH    = 8'h44;
    localparam logic [7:0] A_CFG_MAX_HEIGHT   = 8'h48;

    // ------------------------------------------------------------------
    // Sizes
    // ------------------------------------------------------------------
    localparam bit FUSED = (IN_CHANNELS == 3) && (OUT_CHANNELS == 1);   // BT.601 gray
    localparam int NV    = (IN_CHANNELS == 3 && OUT_CHANNELS == 3) ? 3 : 1;  // value channels
    localparam int VB    = FUSED ? 18 : 8;                  // value bits (255000 < 2^18)
    localparam int SB    = FUSED ? 10 : 1;                  // bits of S (1000 or 1)
    localparam int WB    = $clog2(MAX_WIDTH + 1);           // frame / crop width
    localparam int HB    = $clog2(MAX_HEIGHT + 1);          // frame / crop height
    localparam int OWB   = $clog2(OUT_WIDTH + 1);           // horizontal weights
    localparam int OHB   = $clog2(OUT_HEIGHT + 1);          // vertical weights
    localparam int PB    = $clog2(OUT_WIDTH);               // output column index
    localparam int HSB   = VB + WB;                         // horizontal sums
    localparam int FB    = VB + WB + HB;                    // area sums
    localparam int DB    = SB + WB + HB;                    // denominator
    localparam int NPIX  = OUT_WIDTH * OUT_HEIGHT;
    localparam int CB    = $clog2(NPIX + 1);                // output pixel count
    localparam int LP    = (PPC > 1) ? $clog2(PPC) : 0;     // log2(PPC): adder-tree stages
    localparam int KB    = (PPC > 1) ? LP : 1;              // lane index bits
    localparam int BXB   = WB;                              // beat index in a line
    localparam int PXB   = 8 * IN_CHANNELS;                 // bits of one input pixel
    localparam int POW   = PPC * OUT_WIDTH;                 // units of one beat

    if (PPC != 1 && PPC != 2 && PPC != 4 && PPC != 8) begin : g_bad_ppc
        $fatal(1, "fcnn_crop_scale: PPC must be 1, 2, 4 or 8, got %0d", PPC);
    end
    if (POW > MAX_WIDTH) begin : g_bad_pow
        $fatal(1, "fcnn_crop_scale: PPC * OUT_WIDTH (%0d) must not exceed MAX_WIDTH (%0d): no crop could be taken",
               POW, MAX_WIDTH);
    end

    if (IN_CHANNELS != 1 && IN_CHANNELS != 3) begin : g_bad_in
        $fatal(1, "fcnn_crop_scale: IN_CHANNELS must be 1 or 3, got %0d", IN_CHANNELS);
    end
    if (OUT_CHANNELS != 1 && OUT_CHANNELS != 3) begin : g_bad_out
        $fatal(1, "fcnn_crop_scale: OUT_CHANNELS must be 1 or 3, got %0d", OUT_CHANNELS);
    end
    if (OUT_WIDTH < 2 || OUT_HEIGHT < 1 || OUT_WIDTH > MAX_WIDTH || OUT_HEIGHT > MAX_HEIGHT)
    begin : g_bad_size
        $fatal(1, "fcnn_crop_scale: need 2 <= OUT_WIDTH <= MAX_WIDTH and 1 <= OUT_HEIGHT <= MAX_HEIGHT, got OUT_WIDTH=%0d OUT_HEIGHT=%0d MAX_WIDTH=%0d MAX_HEIGHT=%0d",
               OUT_WIDTH, OUT_HEIGHT, MAX_WIDTH, MAX_HEIGHT);
    end
    if (MAX_WIDTH > 65535 || MAX_HEIGHT > 65535) begin : g_bad_max
        $fatal(1, "fcnn_crop_scale: MAX_WIDTH and MAX_HEIGHT must be <= 65535, got %0d x %0d",
               MAX_WIDTH, MAX_HEIGHT);
    end

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------
    logic        reg_enable, reg_invert, soft_rst;
    logic [5:0]  reg_error;
    logic [15:0] reg_frame_width, reg_frame_height;
    logic [15:0] reg_crop_x, reg_crop_y, reg_crop_width, reg_crop_height;
    logic [31:0] reg_frames, reg_drops;

    wire sts_busy, sts_wait_sof, sts_dropping;
    logic evt_eol_early, evt_eol_late, evt_sof_early, evt_sof_missing;
    logic evt_frame_long, evt_bad_size, evt_drop;
    wire  evt_frame_done;

    logic bvalid_reg;
    wire  wr_fire = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
    assign s_axil_awready = wr_fire;
    assign s_axil_wready  = wr_fire;
    assign s_axil_bvalid  = bvalid_reg;
    assign s_axil_bresp   = 2'b00;

    wire [7:0]  wr_addr = {s_axil_awaddr[7:2], 2'b00};
    wire [31:0] wr_mask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}},
                           {8{s_axil_wstrb[1]}}, {8{s_axil_wstrb[0]}}};
    wire [31:0] wr_data = s_axil_wdata & wr_mask;

    logic        rvalid_reg;
    logic [31:0] rdata_reg;
    wire         rd_fire = s_axil_arvalid && !rvalid_reg;
    assign s_axil_arready = rd_fire;
    assign s_axil_rvalid  = rvalid_reg;
    assign s_axil_rdata   = rdata_reg;
    assign s_axil_rresp   = 2'b00;

    logic [31:0] rd_value;
    always_comb begin
        case ({s_axil_araddr[7:2], 2'b00})
            A_CTRL:             rd_value = {29'd0, reg_invert, 1'b0, reg_enable};
            A_STATUS:           rd_value = {29'd0, sts_dropping, sts_wait_sof, sts_busy};
            A_ERROR:            rd_value = {26'd0, reg_error};
            A_FRAME_WIDTH:      rd_value = {16'd0, reg_frame_width};
            A_FRAME_HEIGHT:     rd_value = {16'd0, reg_frame_height};
            A_CROP_X:           rd_value = {16'd0, reg_crop_x};
            A_CROP_Y:           rd_value = {16'd0, reg_crop_y};
            A_CROP_WIDTH:       rd_value = {16'd0, reg_crop_width};
            A_CROP_HEIGHT:      rd_value = {16'd0, reg_crop_height};
            A_FRAME_COUNT:      rd_value = reg_frames;
            A_DROP_COUNT:       rd_value = reg_drops;
            A_CORE_ID:          rd_value = CORE_ID;
            A_VERSION:          rd_value = VERSION;
            A_CFG_OUT_WIDTH:    rd_value = 32'(OUT_WIDTH);
            A_CFG_OUT_HEIGHT:   rd_value = 32'(OUT_HEIGHT);
            A_CFG_IN_CHANNELS:  rd_value = 32'(IN_CHANNELS);
            A_CFG_OUT_CHANNELS: rd_value = 32'(OUT_CHANNELS);
            A_CFG_MAX_WIDTH:    rd_value = 32'(MAX_WIDTH);
            A_CFG_MAX_HEIGHT:   rd_value = 32'(MAX_HEIGHT);
            default:            rd_value = 32'd0;
        endcase
    end

    wire [5:0] err_events = {evt_bad_size, evt_frame_long, evt_sof_missing,
                             evt_sof_early, evt_eol_late, evt_eol_early};

    always_ff @(posedge clk) begin
        soft_rst <= 1'b0;

        if (bvalid_reg && s_axil_bready) bvalid_reg <= 1'b0;
        if (rvalid_reg && s_axil_rready) rvalid_reg <= 1'b0;

        if (rd_fire) begin
            rvalid_reg <= 1'b1;
            rdata_reg  <= rd_value;
        end

        // Events first, so a clear written in the same cycle loses to a new event.
        reg_error <= reg_error | err_events;
        if (evt_frame_done) reg_frames <= reg_frames + 32'd1;
        if (evt_drop)       reg_drops  <= reg_drops + 32'd1;

        if (wr_fire) begin
            bvalid_reg <= 1'b1;
            case (wr_addr)
                A_CTRL: begin
                    if (s_axil_wstrb[0]) begin
                        reg_enable <= s_axil_wdata[0];
                        soft_rst   <= s_axil_wdata[1];
                        reg_invert <= s_axil_wdata[2];
                    end
                end
                A_ERROR:        reg_error <= (reg_error & ~wr_data[5:0]) | err_events;
                A_FRAME_WIDTH:  reg_frame_width  <= (reg_frame_width & ~wr_mask[15:0]) | wr_data[15:0];
                A_FRAME_HEIGHT: reg_frame_height <= (reg_frame_height & ~wr_mask[15:0]) | wr_data[15:0];
                A_CROP_X:       reg_crop_x       <= (reg_crop_x & ~wr_mask[15:0]) | wr_data[15:0];
                A_CROP_Y:       reg_crop_y       <= (reg_crop_y & ~wr_mask[15:0]) | wr_data[15:0];
                A_CROP_WIDTH:   reg_crop_width   <= (reg_crop_width & ~wr_mask[15:0]) | wr_data[15:0];
                A_CROP_HEIGHT:  reg_crop_height  <= (reg_crop_height & ~wr_mask[15:0]) | wr_data[15:0];
                A_FRAME_COUNT:  reg_frames <= 32'd0;
                A_DROP_COUNT:   reg_drops  <= 32'd0;
                default: ;
            endcase
        end

        if (rst) begin
            bvalid_reg       <= 1'b0;
            rvalid_reg       <= 1'b0;
            rdata_reg        <= 32'd0;
            reg_enable       <= 1'b1;
            reg_invert       <= 1'b0;
            soft_rst         <= 1'b0;
            reg_error        <= '0;
            reg_frame_width  <= 16'(MAX_WIDTH);
            reg_frame_height <= 16'(MAX_HEIGHT);
            reg_crop_x       <= 16'd0;
            reg_crop_y       <= 16'd0;
            reg_crop_width   <= 16'(MAX_WIDTH);
            reg_crop_height  <= 16'(MAX_HEIGHT);
            reg_frames       <= '0;
            reg_drops        <= '0;
        end
    end

    wire srst = rst || soft_rst;   // the datapath's reset

    // ------------------------------------------------------------------
    // Geometry derived from the registers (three register stages, every value
    // at the same depth, so any snapshot is one consistent set).
    // ------------------------------------------------------------------
    localparam int AB = WB + HB;   // crop area
    localparam int TB = WB + 2;    // the signed horizontal position t (see S0)

    logic            g1_ok;
    logic [16:0]     g1_x_end, g1_y_end;
    logic [AB-1:0]   g1_area;
    logic [15:0]     g1_fw, g1_fh;
    logic [WB-1:0]   g1_cx, g1_cw;
    logic [HB-1:0]   g1_cy, g1_ch;
    logic            g1_inv;

    logic            g2_ok;
    logic [AB-1:0]   g2_area;
    logic [WB-1:0]   g2_bpl_m1, g2_cbx, g2_cbx_last, g2_cw_m_pow;
    logic [KB-1:0]   g2_off, g2_off_last;
    logic [WB-1:0]   g2_off_ow;
    logic [HB-1:0]   g2_fh_m1, g2_cy, g2_cy_last, g2_ch_m_oh;
    logic            g2_inv;

    logic            cfg_ok;
    logic [WB-1:0]   cfg_bpl_m1, cfg_cbx, cfg_cbx_last, cfg_cw_m_pow;
    logic [KB-1:0]   cfg_off, cfg_off_last;
    logic signed [TB-1:0] cfg_t0;
    logic [HB-1:0]   cfg_fh_m1, cfg_cy, cfg_cy_last, cfg_ch_m_oh;
    logic [DB-1:0]   cfg_den;
    logic            cfg_inv;

    wire [WB-1:0] g1_fw_m1   = WB'(g1_fw - 16'd1);
    wire [WB-1:0] g1_cx_last = WB'(g1_x_end - 17'd1);

    always_ff @(posedge clk) begin
        g1_ok    <= (reg_frame_width != 16'd0) && (32'(reg_frame_width) <= MAX_WIDTH) &&
                    (reg_frame_height != 16'd0) && (32'(reg_frame_height) <= MAX_HEIGHT) &&
                    (32'(reg_crop_width) >= POW) && (32'(reg_crop_height) >= OUT_HEIGHT);
        g1_x_end <= 17'(reg_crop_x) + 17'(reg_crop_width);
        g1_y_end <= 17'(reg_crop_y) + 17'(reg_crop_height);
        g1_area  <= AB'(reg_crop_width) * AB'(reg_crop_height);
        g1_fw    <= reg_frame_width;
        g1_fh    <= reg_frame_height;
        g1_cx    <= WB'(reg_crop_x);       // the checks above use the full registers
        g1_cy    <= HB'(reg_crop_y);
        g1_cw    <= WB'(reg_crop_width);
        g1_ch    <= HB'(reg_crop_height);
        g1_inv   <= reg_invert;

        g2_ok       <= g1_ok && (g1_x_end <= 17'(g1_fw)) && (g1_y_end <= 17'(g1_fh));
        g2_area     <= g1_area;
        g2_bpl_m1   <= g1_fw_m1 >> LP;          // beats per line - 1
        g2_fh_m1    <= HB'(g1_fh - 16'd1);
        g2_cbx      <= g1_cx >> LP;             // the crop's first and last beat in a line
        g2_cbx_last <= g1_cx_last >> LP;
        g2_off      <= KB'(g1_cx & WB'(PPC - 1));   // their first / last crop lane
        g2_off_last <= KB'(g1_cx_last & WB'(PPC - 1));
        g2_off_ow   <= WB'(g1_cx & WB'(PPC - 1)) * WB'(OUT_WIDTH);
        g2_cy       <= g1_cy;
        g2_cy_last  <= HB'(g1_y_end - 17'd1);
        g2_cw_m_pow <= g1_cw - WB'(POW);
        g2_ch_m_oh  <= g1_ch - HB'(OUT_HEIGHT);
        g2_inv      <= g1_inv;

        cfg_ok       <= g2_ok;
        cfg_bpl_m1   <= g2_bpl_m1;
        cfg_fh_m1    <= g2_fh_m1;
        cfg_cbx      <= g2_cbx;
        cfg_cbx_last <= g2_cbx_last;
        cfg_off      <= g2_off;
        cfg_off_last <= g2_off_last;
        cfg_t0       <= $signed(TB'(g2_cw_m_pow)) + $signed(TB'(g2_off_ow));
        cfg_cy       <= g2_cy;
        cfg_cy_last  <= g2_cy_last;
        cfg_cw_m_pow <= g2_cw_m_pow;
        cfg_ch_m_oh  <= g2_ch_m_oh;
        cfg_den      <= FUSED ? DB'(g2_area) * DB'(1000) : DB'(g2_area);   // 1000 needs SB bits, not AB
        cfg_inv      <= g2_inv;
    end

    // ------------------------------------------------------------------
    // S0: frame state machine, crop position, the lanes' area weights
    // ------------------------------------------------------------------
    wire ce;          // the output skid buffer has room: every stage advances
    wire pipe_busy;   // an entry is in S2..D9, or S5 is padding an image

    // Frame states (localparams, not an enum: yosys then keeps the module's name).
    localparam logic [1:0] S_IDLE = 2'd0;   // waiting for a start of frame
    localparam logic [1:0] S_RUN  = 2'd1;   // accepting the frame's beats
    localparam logic [1:0] S_PAD  = 2'd2;   // fault: completing the image; input dropped to SOF

    // The frame's geometry and position (in beats along a line). While waiting for a SOF
    // they follow the configuration every cycle (and hold the start-of-frame state), so
    // the SOF beat is handled like any other beat; from the SOF on they stay fixed.
    logic [1:0]      state;
    logic            dropping, seen_frame;
    logic            f_ok;           // the geometry is one the block takes
    logic [BXB-1:0]  in_x, bpl_m1, cbx, cbx_last, cw_m_pow;
    logic [KB-1:0]   off, off_last;  // first / last crop lane of the crop's first / last beat
    logic signed [TB-1:0] t0;        // t at the start of each crop line
    logic [HB-1:0]   in_y, fh_m1, cy, cy_last, ch_m_oh;
    logic [DB-1:0]   f_den, den;     // den: the divider's, taken from f_den at the SOF
    logic            f_inv, inv;
    // t: units (1/OUT_WIDTH pixel) from the end of the current beat (all PPC lanes) to
    // the current output column's right edge; <= 0 when that edge is in the beat (the
    // column completes). vr: the same per crop line, minus one line (one line per step).
    logic signed [TB-1:0] t;
    logic signed [HB:0] vr;
    logic [PB-1:0]   col;            // output column of the next horizontal sum
    logic            first_row;      // the next crop pixel is in the crop's first row
    logic            crop_started, crop_done;
    logic            pipe_busy_q, den_same;

    // Input handshake (the edge core's policy). A new den / inv waits until the
    // pipeline has drained (its entries use them); pipe_busy_q is a cycle old, which
    // is safe: while waiting for a SOF the pipeline only drains.
    wire sof_may_start = !pipe_busy_q || den_same;
    logic s_ready_c;
    always_comb begin
        case (state)
            S_IDLE:  s_ready_c = reg_enable &&
                                 (s_axis_tuser ? ((ce && sof_may_start) || !f_ok) : 1'b1);
            S_RUN:   s_ready_c = ce && !s_axis_tuser;
            default: s_ready_c = !s_axis_tuser;
        endcase
    end
    assign s_axis_tready = s_ready_c;
    wire s_fire     = s_axis_tvalid && s_ready_c;
    wire sof_fire   = s_fire && (state == S_IDLE) && s_axis_tuser && f_ok;
    wire frame_beat = sof_fire || (s_fire && state == S_RUN);
    wire sof_early  = (state == S_RUN) && s_axis_tvalid && s_axis_tuser && ce;

    wire last_x     = (in_x == bpl_m1);
    wire last_y     = (in_y == fh_m1);
    wire st_fault   = frame_beat && (s_axis_tlast != last_x);
    wire crop_row   = (in_y >= cy) && (in_y <= cy_last);
    wire in_crop    = (in_x >= cbx) && (in_x <= cbx_last) && crop_row;
    wire crop_beg_x = (in_x == cbx);
    wire crop_end_x = (in_x == cbx_last);
    wire crop_end   = crop_end_x && (in_y == cy_last);

    // Area weights of each lane: w1 to the current output column, w2 to the next (a
    // beat reaches at most two). Lane k ends (PPC - 1 - k) * OUT_WIDTH units before the
    // beat's end, so t + (PPC - k) * OUT_WIDTH units of the column lie from its start on.
    wire           h_emit = t[TB-1] || (t == '0);   // the beat reaches the column's edge
    logic [PPC*OWB-1:0] w1, w2;
    always_comb begin
        for (int k = 0; k < PPC; k++) begin
            logic signed [TB:0] d;
            logic [OWB-1:0]     wc;
            logic               act;
            d   = (TB+1)'(t) + (TB+1)'((PPC - k) * OUT_WIDTH);
            wc  = d[TB] || (d == '0) ? OWB'(0)
                : (d >= (TB+1)'(OUT_WIDTH)) ? OWB'(OUT_WIDTH) : OWB'(d);
            act = (!crop_beg_x || 32'(k) >= 32'(off)) && (!crop_end_x || 32'(k) <= 32'(off_last));
            w1[k*OWB +: OWB] = act ? wc : OWB'(0);
            w2[k*OWB +: OWB] = act ? OWB'(OUT_WIDTH) - wc : OWB'(0);
        end
    end
    wire signed [TB-1:0] t_next = h_emit ? t + $signed(TB'(cw_m_pow)) : t - TB'(POW);
    wire           v_emit = vr[HB] || (vr == '0);
    wire [OHB-1:0] wv2    = v_emit ? OHB'(-vr) : OHB'(0);
    wire [OHB-1:0] wv1    = OHB'(OUT_HEIGHT) - wv2;
    wire signed [HB:0] vr_next = v_emit ? vr + $signed({1'b0, ch_m_oh}) : vr - (HB+1)'(OUT_HEIGHT);

    wire pad_done  = (state == S_PAD) && !pipe_busy && !s1_valid;
    // The state is S_IDLE in the next cycle (the start-of-frame state is loaded).
    wire to_idle   = (state == S_IDLE && !sof_fire) || pad_done ||
                     (frame_beat && !st_fault && last_x && last_y);

    wire pix_tok   = frame_beat && !st_fault && in_crop;
    // A fault before the image is complete: an abort token makes S5 pad the image.
    wire abort_tok = ((frame_beat && st_fault) || sof_early) && !crop_done;
    wire tok       = pix_tok || abort_tok;

    // S1 registers: the token.
    logic                         s1_valid, s1_abort, s1_fs;
    logic [PXB*PPC-1:0]           s1_pix;
    logic [PPC*OWB-1:0]           s1_w1, s1_w2;
    logic                         s1_hemit;
    logic [PB-1:0]                s1_col;
    logic [OHB-1:0]               s1_wv1, s1_wv2;
    logic                         s1_vemit, s1_first;

    always_ff @(posedge clk) begin
        evt_eol_early   <= 1'b0;
        evt_eol_late    <= 1'b0;
        evt_sof_early   <= 1'b0;
        evt_sof_missing <= 1'b0;
        evt_frame_long  <= 1'b0;
        evt_bad_size    <= 1'b0;
        evt_drop        <= 1'b0;
        pipe_busy_q     <= pipe_busy;
        den_same        <= (cfg_den == den) && (cfg_inv == inv);

        // Discarded beats (accepted, not part of a frame).
        if (s_fire && !frame_beat) begin
            evt_drop <= 1'b1;
            if (state == S_IDLE && s_axis_tuser) begin
                evt_bad_size <= 1'b1;     // SOF while the geometry is invalid
                dropping     <= 1'b1;
            end else if (!dropping) begin
                if (seen_frame) evt_frame_long  <= 1'b1;
                else            evt_sof_missing <= 1'b1;
                dropping <= 1'b1;
            end
        end

        if (sof_early) begin
            evt_sof_early <= 1'b1;
            dropping      <= 1'b1;
            state         <= S_PAD;
        end

        if (pad_done) state <= S_IDLE;

        if (frame_beat) begin
            if (sof_fire) begin
                den        <= f_den;
                inv        <= f_inv;
                dropping   <= 1'b0;
                seen_frame <= 1'b0;
                state      <= S_RUN;
            end
            if (st_fault) begin
                if (s_axis_tlast) evt_eol_early <= 1'b1;
                else              evt_eol_late  <= 1'b1;
                dropping <= 1'b1;
                state    <= S_PAD;
            end else begin
                if (last_x) begin
                    in_x <= BXB'(0);
                    in_y <= in_y + HB'(1);
                    if (last_y) begin
                        state      <= S_IDLE;
                        seen_frame <= 1'b1;
                    end
                end else begin
                    in_x <= in_x + BXB'(1);
                end
                if (in_crop) begin
                    crop_started <= 1'b1;
                    if (crop_end) crop_done <= 1'b1;
                    if (h_emit) col <= (col == PB'(OUT_WIDTH - 1)) ? PB'(0) : col + PB'(1);
                    if (crop_end_x) begin
                        t         <= t0;     // the next crop line starts over
                        first_row <= 1'b0;
                        vr <= vr_next;
                    end else begin
                        t <= t_next;
                    end
                end
            end
        end

        // Waiting for a SOF (and on the way there): follow the configuration, hold the
        // start-of-frame state. Last in this block, so it overrides the frame's updates.
        if (to_idle) begin
            f_ok         <= cfg_ok;
            bpl_m1       <= cfg_bpl_m1;
            fh_m1        <= cfg_fh_m1;
            cbx          <= cfg_cbx;
            cbx_last     <= cfg_cbx_last;
            off          <= cfg_off;
            off_last     <= cfg_off_last;
            t0           <= cfg_t0;
            cy           <= cfg_cy;
            cy_last      <= cfg_cy_last;
            cw_m_pow     <= cfg_cw_m_pow;
            ch_m_oh      <= cfg_ch_m_oh;
            f_den        <= cfg_den;
            f_inv        <= cfg_inv;
            in_x         <= '0;
            in_y         <= '0;
            t            <= cfg_t0;
            vr           <= $signed({1'b0, cfg_ch_m_oh});
            col          <= '0;
            first_row    <= 1'b1;
            crop_started <= 1'b0;
            crop_done    <= 1'b0;
        end

        if (srst) begin
            state        <= S_IDLE;
            dropping     <= 1'b0;
            seen_frame   <= 1'b0;
            den          <= DB'(1);
            inv          <= 1'b0;
            pipe_busy_q  <= 1'b1;
            den_same     <= 1'b0;
        end
    end

    always_ff @(posedge clk) begin
        if (ce) begin
            s1_valid <= tok;
            s1_abort <= abort_tok;
            s1_fs    <= !crop_started;   // first token of the frame's image
            s1_pix   <= s_axis_tdata;
            s1_w1    <= w1;
            s1_w2    <= w2;
            s1_hemit <= h_emit;
            s1_col   <= col;
            s1_wv1   <= wv1;
            s1_wv2   <= wv2;
            s1_vemit <= v_emit;
            s1_first <= first_row;
        end
        if (srst) s1_valid <= 1'b0;
    end

    // ------------------------------------------------------------------
    // S1 -> S2: value channels of every lane
    // ------------------------------------------------------------------
    logic [PPC*NV*VB-1:0] s1_v;
    for (genvar k = 0; k < PPC; k++) begin : g_lane
        wire [PXB-1:0] px = s1_pix[k*PXB +: PXB];
        if (FUSED) begin : g_fused
            wire [7:0] b = px[(BGR ? 0 : 16) +: 8];
            wire [7:0] g = px[8 +: 8];
            wire [7:0] r = px[(BGR ? 16 : 0) +: 8];
            assign s1_v[k*NV*VB +: NV*VB] = VB'(18'(r) * 18'd299 + 18'(g) * 18'd587 +
                                                 18'(b) * 18'd114);
        end else if (NV == 3) begin : g_rgb
            assign s1_v[k*NV*VB +: NV*VB] = BGR ? {px[0 +: 8], px[8 +: 8], px[16 +: 8]}  // c0 = R
                                                : px;
        end else begin : g_gray
            assign s1_v[k*NV*VB +: NV*VB] = px[7:0];
        end
    end

    // Side band of a token from S2 to S3: valid, abort, fs, hemit, vemit, first, col,
    // wv1, wv2 (valid is bit 0).
    localparam int SBW = 6 + PB + 2 * OHB;
    logic [SBW-1:0]       s2_sb;
    logic [PPC*NV*VB-1:0] s2_v;
    logic [PPC*OWB-1:0]   s2_w1, s2_w2;

    always_ff @(posedge clk) begin
        if (ce) begin
            s2_sb <= {s1_wv2, s1_wv1, s1_col, s1_first, s1_vemit, s1_hemit, s1_fs, s1_abort,
                      s1_valid};
            s2_v  <= s1_v;
            s2_w1 <= s1_w1;
            s2_w2 <= s1_w2;
        end
        if (srst) s2_sb[0] <= 1'b0;
    end
    wire s2_valid = s2_sb[0];

    // Carry-select a + b (as csel below): horizontal sums (HSB bits), area sums (FB bits).
    localparam int HL = HSB / 2;
    localparam int FL = FB / 2;
    /* verilator lint_off UNUSEDSIGNAL */   // the top carry and hi1[0] are not needed
    function automatic logic [HSB-1:0] hadd(input logic [HSB-1:0] a, input logic [HSB-1:0] b);
        logic [HL:0]      lo;
        logic [HSB-HL-1:0] hi0;
        logic [HSB-HL:0]   hi1;
        lo  = {1'b0, a[HL-1:0]} + {1'b0, b[HL-1:0]};
        hi0 = a[HSB-1:HL] + b[HSB-1:HL];
        hi1 = {a[HSB-1:HL], 1'b1} + {b[HSB-1:HL], 1'b1};
        hadd = lo[HL] ? {hi1[HSB-HL:1], lo[HL-1:0]} : {hi0, lo[HL-1:0]};
    endfunction
    function automatic logic [FB-1:0] fadd(input logic [FB-1:0] a, input logic [FB-1:0] b);
        logic [FL:0]      lo;
        logic [FB-FL-1:0] hi0;
        logic [FB-FL:0]   hi1;
        lo  = {1'b0, a[FL-1:0]} + {1'b0, b[FL-1:0]};
        hi0 = a[FB-1:FL] + b[FB-1:FL];
        hi1 = {a[FB-1:FL], 1'b1} + {b[FB-1:FL], 1'b1};
        fadd = lo[FL] ? {hi1[FB-FL:1], lo[FL-1:0]} : {hi0, lo[FL-1:0]};
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    // ------------------------------------------------------------------
    // S2 -> S3: horizontal products of every lane, then log2(PPC) adder-tree stages:
    // the beat's sum to the current column (m1) and to the next (m2)
    // ------------------------------------------------------------------
    // Level l holds PPC >> l partial sums (the rest of its PPC entries are unused).
    /* verilator lint_off UNUSEDSIGNAL */
    logic [PPC*NV*HSB-1:0] tr_m1 [LP+1];
    logic [PPC*NV*HSB-1:0] tr_m2 [LP+1];
    /* verilator lint_on UNUSEDSIGNAL */
    logic [SBW-1:0]        tr_sb [LP+1];

    always_ff @(posedge clk) begin
        if (ce) begin
            tr_sb[0] <= s2_sb;
            for (int k = 0; k < PPC; k++) begin
                for (int c = 0; c < NV; c++) begin
                    tr_m1[0][(k*NV+c)*HSB +: HSB] <= HSB'(s2_v[(k*NV+c)*VB +: VB]) *
                                                     HSB'(s2_w1[k*OWB +: OWB]);
                    tr_m2[0][(k*NV+c)*HSB +: HSB] <= HSB'(s2_v[(k*NV+c)*VB +: VB]) *
                                                     HSB'(s2_w2[k*OWB +: OWB]);
                end
            end
        end
        if (srst) tr_sb[0][0] <= 1'b0;
    end

    for (genvar l = 1; l <= LP; l++) begin : g_tree
        always_ff @(posedge clk) begin
            if (ce) begin
                tr_sb[l] <= tr_sb[l-1];
                tr_m1[l] <= '0;
                tr_m2[l] <= '0;
                for (int k = 0; k < (PPC >> l); k++) begin
                    for (int c = 0; c < NV; c++) begin
                        tr_m1[l][(k*NV+c)*HSB +: HSB] <= hadd(tr_m1[l-1][(2*k*NV+c)*HSB +: HSB],
                                                              tr_m1[l-1][((2*k+1)*NV+c)*HSB +: HSB]);
                        tr_m2[l][(k*NV+c)*HSB +: HSB] <= hadd(tr_m2[l-1][(2*k*NV+c)*HSB +: HSB],
                                                              tr_m2[l-1][((2*k+1)*NV+c)*HSB +: HSB]);
                    end
                end
            end
            if (srst) tr_sb[l][0] <= 1'b0;
        end
    end

    wire                s3_valid, s3_abort, s3_fs, s3_hemit, s3_vemit, s3_first;
    wire [PB-1:0]       s3_col;
    wire [OHB-1:0]      s3_wv1, s3_wv2;
    wire [NV*HSB-1:0]   s3_m1 = tr_m1[LP][NV*HSB-1:0];
    wire [NV*HSB-1:0]   s3_m2 = tr_m2[LP][NV*HSB-1:0];
    assign {s3_wv2, s3_wv1, s3_col, s3_first, s3_vemit, s3_hemit, s3_fs, s3_abort,
            s3_valid} = tr_sb[LP];

    // ------------------------------------------------------------------
    // S3 -> S4: horizontal accumulation (one sum per output column)
    // ------------------------------------------------------------------
    logic [NV*HSB-1:0]   hacc;
    logic [NV*HSB-1:0]   s3_sum;
    for (genvar c = 0; c < NV; c++) begin : g_hsum
        assign s3_sum[c*HSB +: HSB] = hadd(s3_fs ? HSB'(0) : hacc[c*HSB +: HSB],
                                           s3_m1[c*HSB +: HSB]);
    end

    logic                s4_valid, s4_abort, s4_vemit, s4_first;
    logic [NV*HSB-1:0]   s4_hsum;
    logic [PB-1:0]       s4_col;
    logic [OHB-1:0]      s4_wv1, s4_wv2;

    always_ff @(posedge clk) begin
        if (ce) begin
            if (s3_valid && !s3_abort) hacc <= s3_hemit ? s3_m2 : s3_sum;
            s4_valid <= s3_valid && (s3_abort || s3_hemit);
            s4_abort <= s3_abort;
            s4_hsum  <= s3_sum;
            s4_col   <= s3_col;
            s4_wv1   <= s3_wv1;
            s4_wv2   <= s3_wv2;
            s4_vemit <= s3_vemit;
            s4_first <= s3_first;
        end
        if (srst) s4_valid <= 1'b0;
    end

    // ------------------------------------------------------------------
    // S4 -> S5: vertical products, column accumulator read
    // ------------------------------------------------------------------
    // One accumulator per output column (OUT_WIDTH >= 2: consecutive sums go to
    // different columns, so a read never meets the write of the same column).
    logic [NV*FB-1:0]    vacc [OUT_WIDTH];

    logic                s5_valid, s5_abort, s5_vemit, s5_first;
    logic [NV*FB-1:0]    s5_m1, s5_m2, s5_acc;
    logic [PB-1:0]       s5_col;

    always_ff @(posedge clk) begin
        if (ce) begin
            s5_valid <= s4_valid;
            s5_abort <= s4_abort;
            s5_col   <= s4_col;
            s5_vemit <= s4_vemit;
            s5_first <= s4_first;
            s5_acc   <= vacc[s4_col];
            for (int c = 0; c < NV; c++) begin
                s5_m1[c*FB +: FB] <= FB'(s4_hsum[c*HSB +: HSB]) * FB'(s4_wv1);
                s5_m2[c*FB +: FB] <= FB'(s4_hsum[c*HSB +: HSB]) * FB'(s4_wv2);
            end
        end
        if (srst) s5_valid <= 1'b0;
    end

    // ------------------------------------------------------------------
    // S5 -> D0: vertical accumulation, output count, padding
    // ------------------------------------------------------------------
    logic [NV*FB-1:0]    s5_total;
    for (genvar c = 0; c < NV; c++) begin : g_vsum
        assign s5_total[c*FB +: FB] = fadd(s5_first ? FB'(0) : s5_acc[c*FB +: FB],
                                           s5_m1[c*FB +: FB]);
    end

    logic                padding;    // completing a damaged image with zero pixels
    logic [CB-1:0]       ocount;     // output pixels of the current image so far
    wire                 s5_out  = padding || (s5_valid && (s5_abort || s5_vemit));
    wire                 s5_pad  = padding || (s5_valid && s5_abort);
    wire                 s5_last = (ocount == CB'(NPIX - 1));

    logic                d_valid [9];
    logic                d_pad [9], d_last [9], d_inv [9];
    logic [NV*(FB+1)-1:0] d_rem [9];
    logic [NV*8-1:0]     d_q [9];

    always_ff @(posedge clk) begin
        if (ce) begin
            if (s5_valid && !s5_abort) vacc[s5_col] <= s5_vemit ? s5_m2 : s5_total;
            if (s5_out) begin
                ocount  <= s5_last ? CB'(0) : ocount + CB'(1);
                padding <= s5_pad && !s5_last;
            end
            d_valid[0] <= s5_out;
            d_pad[0]   <= s5_pad;
            d_last[0]  <= s5_last;
            d_inv[0]   <= inv;
            for (int c = 0; c < NV; c++) d_rem[0][c*(FB+1) +: FB+1] <= (FB+1)'(s5_total[c*FB +: FB]);
            d_q[0] <= '0;
        end
        if (srst) begin
            padding    <= 1'b0;
            ocount     <= '0;
            d_valid[0] <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // D1..D8: restoring division by den, quotient bit 7 - (k - 1) in stage k
    // (every area sum is at most 255 * den, so the quotient has 8 bits).
    // ------------------------------------------------------------------
    // Carry-select a + ~b + cin over DB+1 bits (a - b when cin = 1): the low half's
    // carry picks one of two high halves computed side by side, so the longest carry
    // chain is half as long. Returns {carry out, sum}; carry out = (a - b - 1 + cin >= 0).
    localparam int CW = DB + 1;
    localparam int CL = CW / 2;
    /* verilator lint_off UNUSEDSIGNAL */   // hi1[0] only brings the + 1 in
    function automatic logic [CW:0] csel(input logic [CW-1:0] a, input logic [CW-1:0] b,
                                         input logic cin);
        logic [CL+1:0]  lo;      // bit 0 only brings cin in as a carry (one adder)
        logic [CW-CL:0] hi0;
        logic [CW-CL+1:0] hi1;   // + 1 through bit 0, so no tool derives it from hi0
        lo  = {1'b0, a[CL-1:0], 1'b1} + {1'b0, ~b[CL-1:0], cin};
        hi0 = {1'b0, a[CW-1:CL]} + {1'b0, ~b[CW-1:CL]};
        hi1 = {1'b0, a[CW-1:CL], 1'b1} + {1'b0, ~b[CW-1:CL], 1'b1};
        csel = lo[CL+1] ? {hi1[CW-CL+1:1], lo[CL:1]} : {hi0, lo[CL:1]};
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    for (genvar k = 1; k <= 8; k++) begin : g_div
        localparam int SH = 8 - k;
        // r < den << (SH + 1): only r >> SH (DB + 1 bits) meets den.
        logic [NV*(CW+1)-1:0] diff;
        for (genvar c = 0; c < NV; c++) begin : g_ch
            assign diff[c*(CW+1) +: CW+1] = csel(d_rem[k-1][c*(FB+1) + SH +: CW], CW'(den), 1'b1);
        end
        always_ff @(posedge clk) begin
            if (ce) begin
                d_valid[k] <= d_valid[k-1];
                d_pad[k]   <= d_pad[k-1];
                d_last[k]  <= d_last[k-1];
                d_inv[k]   <= d_inv[k-1];
                for (int c = 0; c < NV; c++) begin
                    d_rem[k][c*(FB+1) +: FB+1] <= d_rem[k-1][c*(FB+1) +: FB+1];
                    d_q[k][c*8 +: 8] <= d_q[k-1][c*8 +: 8];
                    if (diff[c*(CW+1) + CW]) begin   // r >= den << SH
                        d_rem[k][c*(FB+1) + SH +: CW] <= diff[c*(CW+1) +: CW];
                        d_q[k][c*8 + SH] <= 1'b1;
                    end
                end
            end
            if (srst) d_valid[k] <= 1'b0;
        end
    end

    // D9: the rounding decision (round half to even); then invert, pad.
    logic                r_valid, r_pad, r_last, r_inv;
    logic [NV*8-1:0]     r_q;
    logic [NV-1:0]       r_up;
    logic [NV*(CW+1)-1:0] rnd;
    for (genvar c = 0; c < NV; c++) begin : g_rnd
        assign rnd[c*(CW+1) +: CW+1] = csel({d_rem[8][c*(FB+1) +: CW-1], 1'b0}, CW'(den),
                                            d_q[8][c*8]);
    end
    always_ff @(posedge clk) begin
        if (ce) begin
            r_valid <= d_valid[8];
            r_pad   <= d_pad[8];
            r_last  <= d_last[8];
            r_inv   <= d_inv[8];
            r_q     <= d_q[8];
            // up = 2 r > den, or 2 r == den and q odd: 2 r - den - 1 + q[0] >= 0 (r < den).
            for (int c = 0; c < NV; c++) begin
                r_up[c] <= rnd[c*(CW+1) + CW];
            end
        end
        if (srst) r_valid <= 1'b0;
    end

    logic [NV*8-1:0] codes;
    for (genvar c = 0; c < NV; c++) begin : g_round
        wire [7:0] code = r_q[c*8 +: 8] + 8'(r_up[c]);
        assign codes[c*8 +: 8] = r_pad ? 8'd0 : (r_inv ? ~code : code);
    end

    wire [8*OUT_CHANNELS-1:0] out_pixel;
    if (NV == 1 && OUT_CHANNELS == 3) begin : g_repeat
        assign out_pixel = {3{codes}};
    end else begin : g_direct
        assign out_pixel = codes;
    end

    wire [8*OUT_CHANNELS:0] out_payload;

    fcnn_axis_skid #(
        .WIDTH(8 * OUT_CHANNELS + 1)
    ) u_skid (
        .clk     (clk),
        .rst     (srst),
        .s_data  ({r_last, out_pixel}),
        .s_valid (r_valid),
        .s_ready (ce),
        .m_data  (out_payload),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );

    assign m_axis_tlast   = out_payload[8*OUT_CHANNELS];
    assign m_axis_tdata   = out_payload[8*OUT_CHANNELS-1:0];
    assign evt_frame_done = m_axis_tvalid && m_axis_tready && m_axis_tlast;

    logic div_busy;
    always_comb begin
        div_busy = 1'b0;
        for (int k = 0; k <= 8; k++) div_busy = div_busy | d_valid[k];
    end
    logic tree_busy;
    always_comb begin
        tree_busy = 1'b0;
        for (int l = 0; l <= LP; l++) tree_busy = tree_busy | tr_sb[l][0];
    end
    assign pipe_busy = s2_valid || tree_busy || s4_valid || s5_valid || padding || div_busy ||
                       r_valid;

    assign sts_wait_sof = (state == S_IDLE);
    assign sts_dropping = dropping;
    assign sts_busy     = (state != S_IDLE) || s1_valid || pipe_busy || m_axis_tvalid;

    // The protection bits carry no meaning for this core.
    wire _unused = &{1'b0, s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0],
                     s_axil_araddr[1:0], wr_data[31:16], 1'b0};

endmodule

`resetall
