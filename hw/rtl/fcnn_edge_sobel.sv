// fcnn_edge_sobel: streaming 3x3 Sobel magnitude / edge map, AXI4-Stream video.
//
// The datapath of fcnn_edge_core (see fcnn_edge_core.md for the contract and
// the malformed-stream policy). Output pixel = min(255, |Gx|+|Gy|) with
// replicated borders, or a 0/255 map when the latched threshold is non-zero.
//
// Structure. Each accepted input beat (row r, beat x) is one "step". A step
// reads rows r-2 and r-1 at beat x from two line buffers (a cascade: row r-1
// moves into the row r-2 buffer as row r is written), forms a column of three
// beats (top/mid/bottom, borders clamped) and shifts it into a two-column
// window. Together with the new column the window yields output row r-1,
// beat x-1. The last beat of each output row is emitted by the next row's
// first step (it needs no right neighbour). After a frame's last input beat
// the core issues a virtual flush row (r = height, bottom border replicated)
// and one final step for the last beat. A fault pads the rest of the frame
// with virtual zero steps so every output frame is complete.
//
// Pipeline: S0 step issue + line-buffer read, S1 window + gradient halves, S1B
// magnitude |Gx| + |Gy|, S2 threshold, then a skid buffer. Every stage advances on one clock enable,
// the skid buffer's registered ready, so there is no combinational path from
// m_axis_tready to s_axis_tready.
`default_nettype none

module fcnn_edge_sobel #(
    // Pixels per clock (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Largest frame width in pixels; sizes the line buffers.
    parameter int MAX_WIDTH = 1920,
    // Largest frame height in lines.
    parameter int MAX_HEIGHT = 1080
) (
    input  wire              clk,
    input  wire              rst,

    // Configuration, latched at each accepted start of frame.
    input  wire              cfg_enable,
    input  wire [15:0]       cfg_width,
    input  wire [15:0]       cfg_height,
    input  wire [11:0]       cfg_threshold,

    input  wire [8*PPC-1:0]  s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tuser,
    input  wire              s_axis_tlast,

    output wire [8*PPC-1:0]  m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tuser,
    output wire              m_axis_tlast,
    output wire              m_axis_eof,     // last beat of an output frame

    // Status levels.
    output wire              sts_busy,
    output wire              sts_wait_sof,
    output wire              sts_dropping,
    // One-cycle event pulses.
    output logic             evt_eol_early,
    output logic             evt_eol_late,
    output logic             evt_sof_early,
    output logic             evt_sof_missing,
    output logic             evt_frame_long,
    output logic             evt_bad_size,
    output logic             evt_drop,
    output wire              evt_frame_done
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int DW      = 8 * PPC;
    localparam int LOG_PPC = (PPC > 1) ? $clog2(PPC) : 0;
    localparam int LW      = (PPC > 1) ? LOG_PPC : 1;            // lane index width
    localparam int BPL_MAX = (MAX_WIDTH + PPC - 1) / PPC;        // beats per line
    localparam int AW      = (BPL_MAX > 1) ? $clog2(BPL_MAX) : 1; // line-buffer address
    localparam int XW      = $clog2(BPL_MAX + 1);                // beat counter
    localparam int YW      = $clog2(MAX_HEIGHT + 2);             // row counter (to height)
    localparam int MW      = 11;                                 // |Gx|+|Gy| <= 1530 (< 2^11)

    // Elaboration-time parameter checks.
    if (PPC != 1 && PPC != 2 && PPC != 4 && PPC != 8) begin : g_bad_ppc
        $fatal(1, "fcnn_edge_sobel: PPC must be 1, 2, 4 or 8, got %0d", PPC);
    end
    if (MAX_WIDTH < 1 || MAX_WIDTH > 65535) begin : g_bad_width
        $fatal(1, "fcnn_edge_sobel: MAX_WIDTH must be 1..65535, got %0d", MAX_WIDTH);
    end
    if (MAX_HEIGHT < 1 || MAX_HEIGHT > 65534) begin : g_bad_height
        $fatal(1, "fcnn_edge_sobel: MAX_HEIGHT must be 1..65534, got %0d", MAX_HEIGHT);
    end

    // ------------------------------------------------------------------
    // Global clock enable: the output skid buffer has room.
    // ------------------------------------------------------------------
    wire ce;

    // ------------------------------------------------------------------
    // S0: frame state machine and step issue
    // ------------------------------------------------------------------
    typedef enum logic [2:0] {
        S_IDLE,   // waiting for a start of frame
        S_RUN,    // accepting the frame's beats
        S_PAD,    // fault: virtual zero beats up to the frame's end
        S_FLUSH,  // virtual row `height` (bottom border)
        S_EXTRA   // final step: emit the last output beat
    } state_t;

    state_t          state;
    logic [XW-1:0]   in_x;          // beat within the current row
    logic [YW-1:0]   in_y;          // current row (== height in S_FLUSH)
    logic [XW-1:0]   bpl_m1;        // beats per line of the current frame, minus 1
    logic            bpl_one;       // the current frame has one beat per line
    logic [LW-1:0]   last_lane;     // lane of the last pixel in a line's last beat
    logic [YW-1:0]   height_m1;     // lines of the current frame, minus 1
    logic            height_one;    // the current frame has one line
    logic [11:0]     threshold;     // threshold of the current frame
    logic            dropping;      // discarding input until the next SOF
    logic            seen_frame;    // a frame completed since reset / last SOF

    // The configuration inputs, checked and decoded one register stage ahead of the
    // frame state machine (a start of frame takes effect two cycles after a write).
    wire [XW-1:0] cfg_bpl = XW'((32'(cfg_width) + PPC - 1) >> LOG_PPC);
    logic            cfg_size_ok;   // WIDTH and HEIGHT are in range
    logic [XW-1:0]   cfg_bpl_m1;
    logic            cfg_bpl_one;
    logic [LW-1:0]   cfg_lane;      // lane of a line's last pixel
    logic [YW-1:0]   cfg_height_m1;
    logic            cfg_height_one;
    logic [11:0]     cfg_thr;
    always_ff @(posedge clk) begin
        cfg_size_ok    <= (cfg_width != 16'd0) && (32'(cfg_width) <= MAX_WIDTH) &&
                          (cfg_height != 16'd0) && (32'(cfg_height) <= MAX_HEIGHT);
        cfg_bpl_m1     <= cfg_bpl - XW'(1);
        cfg_bpl_one    <= (cfg_bpl == XW'(1));
        cfg_lane       <= LW'((cfg_width - 16'd1) & 16'(PPC - 1));
        cfg_height_m1  <= YW'(cfg_height - 16'd1);
        cfg_height_one <= (cfg_height == 16'd1);
        cfg_thr        <= cfg_threshold;
    end

    // Input handshake.
    logic s_ready_c;
    always_comb begin
        s_ready_c = 1'b0;
        case (state)
            S_IDLE:  s_ready_c = cfg_enable && (s_axis_tuser ? (ce || !cfg_size_ok) : 1'b1);
            S_RUN:   s_ready_c = ce && !s_axis_tuser;
            default: s_ready_c = !s_axis_tuser;  // discard until the next SOF
        endcase
    end
    assign s_axis_tready = s_ready_c;
    wire s_fire = s_axis_tvalid && s_ready_c;

    // A frame beat is an accepted beat that carries pixels of the frame.
    wire sof_fire   = s_fire && (state == S_IDLE) && s_axis_tuser && cfg_size_ok;
    wire frame_beat = sof_fire || (s_fire && state == S_RUN);
    wire virt_step  = ce && (state == S_PAD || state == S_FLUSH || state == S_EXTRA);
    wire step       = frame_beat || virt_step;

    // Step position (valid when `step`).
    wire [XW-1:0] st_x = sof_fire ? XW'(0) : in_x;
    wire [YW-1:0] st_r = sof_fire ? YW'(0) : in_y;
    wire          st_bpl_one    = sof_fire ? cfg_bpl_one : bpl_one;
    wire          st_height_one = sof_fire ? cfg_height_one : height_one;
    wire [LW-1:0] st_lane   = sof_fire ? cfg_lane : last_lane;
    wire [11:0]   st_thr    = sof_fire ? cfg_thr : threshold;
    wire          st_extra  = (state == S_EXTRA);
    wire          st_last_x = sof_fire ? cfg_bpl_one : (in_x == bpl_m1);
    // The step is in the frame's last row (r + 1 == height); never true in S_FLUSH.
    wire          st_last_r = sof_fire ? cfg_height_one : (in_y == height_m1);
    wire          st_pixels = frame_beat;          // data comes from s_axis (else zero)

    // What the step emits.
    //  normal : x >= 1, r >= 1           -> output row r-1, beat x-1
    //  pending: x == 0, r >= 2, or extra -> output row r-2 (height-1), last beat
    wire em_normal  = !st_extra && (st_x != XW'(0)) && (st_r != YW'(0));
    wire em_pending = st_extra || ((st_x == XW'(0)) && (st_r >= YW'(2)));
    wire em_first   = em_normal ? (st_x == XW'(1)) : st_bpl_one;
    wire em_sof     = em_normal ? ((st_r == YW'(1)) && (st_x == XW'(1)))
                    : st_bpl_one && (st_extra ? st_height_one : (st_r == YW'(2)));

    // Frame state machine.
    always_ff @(posedge clk) begin
        evt_eol_early   <= 1'b0;
        evt_eol_late    <= 1'b0;
        evt_sof_early   <= 1'b0;
        evt_sof_missing <= 1'b0;
        evt_frame_long  <= 1'b0;
        evt_bad_size    <= 1'b0;
        evt_drop        <= 1'b0;

        // Discarded beats (accepted but not part of a frame).
        if (s_fire && !frame_beat) begin
            evt_drop <= 1'b1;
            if (state == S_IDLE && s_axis_tuser) begin
                evt_bad_size <= 1'b1;      // SOF while WIDTH/HEIGHT are invalid
                dropping     <= 1'b1;
            end else if (!dropping) begin
                // After a complete frame (or during its flush) the stream is too long.
                if (seen_frame || state != S_IDLE) evt_frame_long <= 1'b1;
                else            evt_sof_missing <= 1'b1;
                dropping <= 1'b1;
            end
        end

        // Early SOF: a new frame begins before this one ended.
        if (state == S_RUN && s_axis_tvalid && s_axis_tuser) begin
            evt_sof_early <= 1'b1;
            dropping      <= 1'b1;
            state         <= S_PAD;
        end

        if (step) begin
            if (sof_fire) begin
                bpl_m1     <= cfg_bpl_m1;
                bpl_one    <= cfg_bpl_one;
                height_m1  <= cfg_height_m1;
                height_one <= cfg_height_one;
                last_lane  <= cfg_lane;
                threshold  <= cfg_thr;
                dropping   <= 1'b0;
                seen_frame <= 1'b0;
            end
            // Advance the position.
            if (st_extra) begin
                state      <= S_IDLE;
                seen_frame <= 1'b1;
            end else if (st_last_x) begin
                in_x <= XW'(0);
                in_y <= st_r + YW'(1);
                if (state == S_FLUSH) state <= S_EXTRA;
                else if (st_last_r) state <= S_FLUSH;
                else if (frame_beat) state <= s_axis_tlast ? S_RUN : S_PAD;
            end else begin
                in_x <= st_x + XW'(1);
                in_y <= st_r;
                if (frame_beat) state <= s_axis_tlast ? S_PAD : S_RUN;
            end
            if (frame_beat && s_axis_tlast && !st_last_x) begin
                evt_eol_early <= 1'b1;
                dropping      <= 1'b1;
            end
            if (frame_beat && !s_axis_tlast && st_last_x) begin
                evt_eol_late <= 1'b1;
                dropping     <= 1'b1;
            end
        end

        if (rst) begin
            state      <= S_IDLE;
            in_x       <= '0;
            in_y       <= '0;
            bpl_m1     <= '0;
            bpl_one    <= 1'b1;
            height_m1  <= '0;
            height_one <= 1'b1;
            last_lane  <= '0;
            threshold  <= '0;
            dropping   <= 1'b0;
            seen_frame <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // Line buffers: lb_b holds row r-1, lb_a row r-2 (block RAM).
    // ------------------------------------------------------------------
    logic [DW-1:0] lb_a [BPL_MAX];
    logic [DW-1:0] lb_b [BPL_MAX];
    logic [DW-1:0] lb_a_rd, lb_b_rd;

    wire [AW-1:0] rd_addr = AW'(st_x);
    wire [DW-1:0] st_data = st_pixels ? s_axis_tdata : '0;
    wire          lb_en   = step && !st_extra;

    // lb_b: read-first, written with the new row at the address it reads.
    always_ff @(posedge clk) begin
        if (lb_en) begin
            lb_b_rd <= lb_b[rd_addr];
            lb_b[rd_addr] <= st_data;
        end
    end

    // S1 registers.
    logic           s1_valid, s1_extra, s1_first_row, s1_flush;
    logic           s1_normal, s1_pending, s1_first, s1_sof, s1_eof;
    logic [AW-1:0]  s1_addr;
    logic [DW-1:0]  s1_data;
    logic [LW-1:0]  s1_lane;
    logic [11:0]    s1_thr;
    logic           fwd_a;
    logic [DW-1:0]  fwd_a_data;

    // lb_a: written one stage later with what lb_b held (row r-1 becomes r-2).
    wire lb_a_we = ce && s1_valid && !s1_extra;
    always_ff @(posedge clk) begin
        if (lb_en) lb_a_rd <= lb_a[rd_addr];
        if (lb_a_we) lb_a[s1_addr] <= lb_b_rd;
    end

    always_ff @(posedge clk) begin
        if (ce) begin
            s1_valid     <= step;
            s1_extra     <= st_extra;
            s1_first_row <= (st_r == YW'(1));
            s1_flush     <= (state == S_FLUSH);
            s1_normal    <= step && em_normal;
            s1_pending   <= step && em_pending;
            s1_first     <= em_first;
            s1_sof       <= em_sof;
            s1_eof       <= st_extra;
            s1_addr      <= rd_addr;
            s1_data      <= st_data;
            s1_lane      <= st_lane;
            s1_thr       <= st_thr;
            // Same-address write/read on lb_a in one cycle (one beat per line).
            fwd_a        <= lb_a_we && lb_en && (s1_addr == rd_addr);
            fwd_a_data   <= lb_b_rd;
        end
        if (rst) begin
            s1_valid   <= 1'b0;
            s1_normal  <= 1'b0;
            s1_pending <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // S1: column, window, Sobel magnitude
    // ------------------------------------------------------------------
    wire [DW-1:0] row_a = fwd_a ? fwd_a_data : lb_a_rd;
    wire [DW-1:0] col_top = s1_first_row ? lb_b_rd : row_a;   // top border
    wire [DW-1:0] col_mid = lb_b_rd;
    wire [DW-1:0] col_bot = s1_flush ? lb_b_rd : s1_data;     // bottom border

    // Columns of three beats, flattened: bits [t*DW +: DW], t = 0 top, 1 mid, 2 bottom.
    logic [23:0]     w_prev;   // last pixel of each row of beat x-2: bits [t*8 +: 8]
    logic [3*DW-1:0] w_cur;    // column of beat x-1
    wire  [3*DW-1:0] w_next = {col_bot, col_mid, col_top};   // column of beat x

    always_ff @(posedge clk) begin
        if (ce && s1_valid && !s1_extra) begin
            w_prev <= {w_cur[2*DW + DW-8 +: 8], w_cur[DW + DW-8 +: 8], w_cur[DW-8 +: 8]};
            w_cur  <= w_next;
        end
    end

    wire s1_emit = s1_normal || s1_pending;   // s1_pending: the line's last beat

    // The two halves of each gradient, lane i at [i*HW +: HW]: Gx = px_pos - px_neg,
    // Gy = py_pos - py_neg (each half a sum of three pixels, weights 1, 2, 1).
    localparam int HW = 10;      // 4 * 255 < 2^10
    logic [PPC*HW-1:0] s1_px_pos, s1_px_neg, s1_py_pos, s1_py_neg;
    logic [PPC-1:0]    s1_off;   // lanes past the line's last pixel

    for (genvar i = 0; i < PPC; i++) begin : g_lane
        // Window of lane i, pixel (row t, col c) at px[(3*t + c)*8 +: 8]; c 0 left, 1 centre, 2 right.
        wire [71:0] px;
        for (genvar t = 0; t < 3; t++) begin : g_row
            assign px[(3*t+1)*8 +: 8] = w_cur[t*DW + i*8 +: 8];
            if (i == 0) begin : g_left0
                assign px[(3*t)*8 +: 8] = s1_first ? w_cur[t*DW +: 8] : w_prev[t*8 +: 8];
            end else begin : g_left
                assign px[(3*t)*8 +: 8] = w_cur[t*DW + (i-1)*8 +: 8];
            end
            if (i == PPC - 1) begin : g_right_last
                assign px[(3*t+2)*8 +: 8] = (s1_pending && s1_lane == LW'(i))
                                          ? w_cur[t*DW + i*8 +: 8] : w_next[t*DW +: 8];
            end else begin : g_right
                assign px[(3*t+2)*8 +: 8] = (s1_pending && s1_lane == LW'(i))
                                          ? w_cur[t*DW + i*8 +: 8] : w_cur[t*DW + (i+1)*8 +: 8];
            end
        end
        wire [7:0] tl = px[0*8 +: 8], tm = px[1*8 +: 8], tr = px[2*8 +: 8];
        wire [7:0] ml = px[3*8 +: 8],                    mr = px[5*8 +: 8];
        wire [7:0] bl = px[6*8 +: 8], bm = px[7*8 +: 8], br = px[8*8 +: 8];
        wire _unused_centre = &{1'b0, px[4*8 +: 8]};   // Sobel ignores the centre pixel
        assign s1_px_pos[i*HW +: HW] = HW'(tr) + HW'({mr, 1'b0}) + HW'(br);
        assign s1_px_neg[i*HW +: HW] = HW'(tl) + HW'({ml, 1'b0}) + HW'(bl);
        assign s1_py_pos[i*HW +: HW] = HW'(bl) + HW'({bm, 1'b0}) + HW'(br);
        assign s1_py_neg[i*HW +: HW] = HW'(tl) + HW'({tm, 1'b0}) + HW'(tr);
        // Lanes past the line's last pixel are zero.
        if (i == 0) begin : g_lane0_on
            assign s1_off[i] = 1'b0;
        end else begin : g_lane_off
            assign s1_off[i] = s1_pending && (LW'(i) > s1_lane);
        end
    end

    // ------------------------------------------------------------------
    // S1B: gradient magnitudes |Gx| + |Gy|
    // ------------------------------------------------------------------
    logic                   s1b_valid, s1b_sof, s1b_eol, s1b_eof;
    logic [PPC*HW-1:0]      s1b_px_pos, s1b_px_neg, s1b_py_pos, s1b_py_neg;
    logic [PPC-1:0]         s1b_off;
    logic [11:0]            s1b_thr;

    always_ff @(posedge clk) begin
        if (ce) begin
            s1b_valid  <= s1_emit;
            s1b_sof    <= s1_sof;
            s1b_eol    <= s1_pending;
            s1b_eof    <= s1_eof;
            s1b_px_pos <= s1_px_pos;
            s1b_px_neg <= s1_px_neg;
            s1b_py_pos <= s1_py_pos;
            s1b_py_neg <= s1_py_neg;
            s1b_off    <= s1_off;
            s1b_thr    <= s1_thr;
        end
        if (rst) s1b_valid <= 1'b0;
    end

    logic [PPC*MW-1:0] s1b_mag;   // lane i at [i*MW +: MW]
    for (genvar i = 0; i < PPC; i++) begin : g_mag
        wire [HW-1:0] xp = s1b_px_pos[i*HW +: HW], xn = s1b_px_neg[i*HW +: HW];
        wire [HW-1:0] yp = s1b_py_pos[i*HW +: HW], yn = s1b_py_neg[i*HW +: HW];
        // |a - b| as the non-negative one of the two differences (no negation after).
        wire [HW:0] dx = {1'b0, xp} - {1'b0, xn};
        wire [HW:0] dy = {1'b0, yp} - {1'b0, yn};
        wire [HW-1:0] ax = dx[HW] ? (xn - xp) : dx[HW-1:0];
        wire [HW-1:0] ay = dy[HW] ? (yn - yp) : dy[HW-1:0];
        assign s1b_mag[i*MW +: MW] = MW'(ax) + MW'(ay);
    end

    // ------------------------------------------------------------------
    // S2: threshold / clamp
    // ------------------------------------------------------------------
    logic                   s2_valid, s2_sof, s2_eol, s2_eof;
    logic [PPC*MW-1:0]      s2_mag;
    logic [PPC-1:0]         s2_off;
    logic [11:0]            s2_thr;

    always_ff @(posedge clk) begin
        if (ce) begin
            s2_valid <= s1b_valid;
            s2_sof   <= s1b_sof;
            s2_eol   <= s1b_eol;
            s2_eof   <= s1b_eof;
            s2_mag   <= s1b_mag;
            s2_off   <= s1b_off;
            s2_thr   <= s1b_thr;
        end
        if (rst) s2_valid <= 1'b0;
    end

    wire [DW-1:0] s2_pixels;
    for (genvar i = 0; i < PPC; i++) begin : g_out
        assign s2_pixels[i*8 +: 8] = s2_off[i] ? 8'h00 :
            (s2_thr != 12'd0) ? ((12'(s2_mag[i*MW +: MW]) >= s2_thr) ? 8'hFF : 8'h00)
                              : ((s2_mag[i*MW +: MW] > MW'(255)) ? 8'hFF : s2_mag[i*MW +: 8]);
    end

    // ------------------------------------------------------------------
    // Output skid buffer; its registered ready is the pipeline enable.
    // ------------------------------------------------------------------
    wire [DW+2:0] out_payload;
    wire          out_eof;

    fcnn_axis_skid #(
        .WIDTH(DW + 3)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({s2_eof, s2_sof, s2_eol, s2_pixels}),
        .s_valid (s2_valid),
        .s_ready (ce),
        .m_data  (out_payload),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );

    assign out_eof        = out_payload[DW+2];
    assign m_axis_tuser   = out_payload[DW+1];
    assign m_axis_tlast   = out_payload[DW];
    assign m_axis_tdata   = out_payload[DW-1:0];
    assign m_axis_eof     = out_eof;
    assign evt_frame_done = m_axis_tvalid && m_axis_tready && out_eof;

    assign sts_wait_sof = (state == S_IDLE);
    assign sts_dropping = dropping;
    assign sts_busy     = (state != S_IDLE) || s1_valid || s1b_valid || s2_valid ||
                          m_axis_tvalid;

endmodule

`resetall
