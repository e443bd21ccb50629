// fcnn_cnn_mvu: folded matrix-vector unit (PE outputs x SIMD inputs per clock).
//
// Contract (shared with the RTL generator, hw/rtlgen). Per input vector x of
// IN_LEN elements the unit computes, exactly,
//     y[n] = BIAS[n] + sum_i (x[i] * w[i][n]) << PROD_SHIFT        (n < N)
// in ACC_W-bit two's complement (the generator sizes ACC_W so nothing overflows),
// the arithmetic of fcnn_cnn_dense, which this unit generalises (dense = PE=N,
// SIMD=G). The vector arrives as IN_LEN/C_IN beats of C_IN elements (element i =
// beat i/C_IN, lane i%C_IN at s_axis_tdata[(i%C_IN)*XW +: XW]); framing is by
// count, s_axis_tlast is ignored. One output beat per vector carries all N sums
// (y[n] at m_axis_tdata[n*ACC_W +: ACC_W]; with OUT_W > 0 each sum requantized first,
// below); m_axis_tlast is 1 on the last of
// every VECTORS vectors (one image: a convolution's output pixels, 1 for dense).
//
// Requantization (OUT_W > 0): each sum leaves as q[n] at m_axis_tdata[n*OUT_W +: OUT_W],
// the arithmetic of fcnn_cnn_requant (C = N, IW = ACC_W, OW = OUT_W, O_SIGNED, SHIFT):
// shifted right by SHIFT with round half to even (left by -SHIFT when SHIFT < 0), then
// saturated to OUT_W bits (signed or unsigned). It is applied per fold to the PE sums,
// so the output register holds N*OUT_W bits, not N*ACC_W.
//
// Weights: a ROM of (N/PE)*(IN_LEN/SIMD) words of PE*SIMD*WW bits, loaded with
// $readmemh(WEIGHT_FILE); word a = nf*(IN_LEN/SIMD) + sf holds weight
// w[i = sf*SIMD + s][n = nf*PE + p] (signed, WW bits) at bits [(p*SIMD + s)*WW
// +: WW]. The ROM is read through a register and carries the Xilinx rom_style
// attribute ROM_STYLE, so yosys synth_xilinx / Vivado infer BRAM ("block") or
// LUTRAM ("distributed"). WEIGHT_FILE = "" makes every weight 0 (lint and
// plumbing runs only; the generator always passes a file).
//
// Schedule: for nf in 0..N/PE-1, for sf in 0..IN_LEN/SIMD-1 one clock each: SIMD
// elements x[sf*SIMD + s] times the PE x SIMD weights of ROM word nf*SF + sf are
// added to PE accumulators (the bias on sf = 0); after sf = SF-1 the PE sums of
// fold nf go to the output stage; after the last fold the N sums leave as one beat. Throughput: one vector per max(IN_LEN/C_IN, (IN_LEN/SIMD) *
// (N/PE)) clocks in steady state, without bubbles: the input vector is
// double-buffered (one bank is written while the other is computed), and the
// compute pipeline stalls only when a finished vector finds the output stage full
// (output backpressure). s_axis_tready is a function of registers only (a bank is
// free); it never depends on m_axis_tready. Latency from the last input beat of a
// vector (into a free pipeline) to its output beat: (IN_LEN/SIMD)*(N/PE) + 2 clocks.
// Output stage (FFs: N*YW, plus (N-PE)*YW only when IN_LEN/SIMD = 1 < N/PE; YW = OUT_W or ACC_W):
// with IN_LEN/SIMD >= 2 each fold's sums go straight into the output register; with
// one clock per fold they are collected first; with one clock per vector a two-entry
// skid keeps the rate. With the output blocked the unit takes whole vectors until its
// stages are full, then holds s_axis_tready low: 3 when N/PE > 1 and IN_LEN/SIMD >= 2
// (output register, one vector stalled at its first fold, one bank), 4 when N/PE = 1
// or IN_LEN/SIMD = 1 (the stalled vector's bank is free again), 5 when a vector takes
// one clock (two in the skid).
//
// Input buffer: two banks of IN_LEN elements. When a bank is one word
// (max(C_IN, SIMD) == IN_LEN: a convolution's whole window from fcnn_cnn_window, or
// a fully parallel layer) the banks are registers and the SIMD slice is selected
// combinationally into the stage register; otherwise each bank is a memory of
// IN_LEN/max(C_IN, SIMD) words (split into SIMD/C_IN column memories when SIMD > C_IN,
// written one beat each), read through a register (LUTRAM or BRAM): a dense layer, and
// a convolution fed by fcnn_cnn_swu (C_IN = SIMD: 2*K*K*Cin/SIMD words of SIMD
// elements, one written and one read per clock).
`default_nettype none

module fcnn_cnn_mvu #(
    // Input vector length (elements per vector).
    parameter int IN_LEN = 4,
    // Elements per input beat (IN_LEN % C_IN == 0).
    parameter int C_IN = 1,
    // Outputs (neurons / output channels).
    parameter int N = 1,
    // Outputs computed in parallel (N % PE == 0).
    parameter int PE = 1,
    // Input elements multiplied per clock and PE (IN_LEN % SIMD == 0, and
    // SIMD % C_IN == 0 or C_IN % SIMD == 0).
    parameter int SIMD = 1,
    // Input element width.
    parameter int XW = 8,
    // 1: input elements are signed two's complement; 0: unsigned.
    parameter int X_SIGNED = 0,
    // Weight width (signed two's complement; WW = 1 holds {-1, 0}).
    parameter int WW = 8,
    // Accumulator width (signed, exact: the sums must fit).
    parameter int ACC_W = 32,
    // Left shift applied to every product before accumulation (>= 0).
    parameter int PROD_SHIFT = 0,
    // Biases at the accumulator scale, bias n at bits [n*ACC_W +: ACC_W] (signed).
    parameter logic [N*ACC_W-1:0] BIAS = '0,
    // $readmemh file of the weight ROM (layout above); "" = no initial value.
    parameter WEIGHT_FILE = "",
    // Xilinx rom_style of the weight ROM: "block" (BRAM) or "distributed" (LUTRAM).
    parameter ROM_STYLE = "block",
    // Vectors per image: m_axis_tlast marks every VECTORS-th output beat (>= 1).
    parameter int VECTORS = 1,
    // 0: multipliers are LUT logic (shift-add, use_dsp = "no"); 1: plain `*` (DSPs allowed).
    parameter int USE_DSP = 0,
    // Output element width: 0 = the raw ACC_W-bit sums; > 0 = requantized (header).
    parameter int OUT_W = 0,
    // Requantization: 1 = signed output, 0 = unsigned (negative sums clamp to 0: a ReLU).
    parameter int O_SIGNED = 0,
    // Requantization: right shift (round half to even) of the sums; < 0 shifts left.
    parameter int SHIFT = 0
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [C_IN*XW-1:0]   s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,

    output wire [N*((OUT_W > 0) ? OUT_W : ACC_W)-1:0] m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int SIMD1 = (SIMD >= 1) ? SIMD : 1;
    localparam int PE1   = (PE >= 1) ? PE : 1;
    localparam int CIN1  = (C_IN >= 1) ? C_IN : 1;
    localparam int SF    = IN_LEN / SIMD1;                     // clocks per fold
    localparam int NF    = N / PE1;                            // folds per vector
    localparam int TOTAL = SF * NF;                            // clocks per vector
    localparam int MW    = (CIN1 > SIMD1) ? CIN1 : SIMD1;      // buffer word (elements)
    localparam int NSEG  = MW / CIN1;                          // beats per buffer word
    localparam int RPW   = MW / SIMD1;                         // reads per buffer word
    localparam int D     = IN_LEN / MW;                        // buffer words per bank
    localparam int DB    = (D > 1) ? $clog2(D) : 1;
    localparam int AB    = $clog2(2 * D);                      // buffer address (both banks)
    localparam int SGB   = (NSEG > 1) ? $clog2(NSEG) : 1;
    localparam int RSB   = (RPW > 1) ? $clog2(RPW) : 1;
    localparam int NFB   = (NF > 1) ? $clog2(NF) : 1;
    localparam int VB    = (VECTORS > 1) ? $clog2(VECTORS) : 1;
    localparam int ROM_D = TOTAL;                              // weight ROM words
    localparam int RAB   = (ROM_D > 1) ? $clog2(ROM_D) : 1;
    localparam int RWW   = PE1 * SIMD1 * WW;                   // weight ROM word
    localparam int SW    = SIMD1 * XW;                         // SIMD elements
    localparam int PW    = XW + 1 + WW;                        // product width (exact)
    localparam int YW    = (OUT_W > 0) ? OUT_W : ACC_W;        // an output element
    localparam int AW    = PE1 * ACC_W;                        // one fold's sums
    localparam int GW    = PE1 * YW;                           // one fold's outputs
    // ROM_STYLE as a fixed-width constant (yosys reads no `string` type; <= 16 characters).
    localparam logic [127:0] STYLE = 128'(ROM_STYLE);

    if (IN_LEN < 1 || C_IN < 1 || N < 1 || PE < 1 || SIMD < 1) begin : g_bad_size
        $fatal(1, "fcnn_cnn_mvu: IN_LEN, C_IN, N, PE and SIMD must be >= 1, got %0d, %0d, %0d, %0d, %0d",
               IN_LEN, C_IN, N, PE, SIMD);
    end
    if (IN_LEN % CIN1 != 0 || IN_LEN % SIMD1 != 0 || (SIMD1 % CIN1 != 0 && CIN1 % SIMD1 != 0))
    begin : g_bad_fold_in
        $fatal(1, "fcnn_cnn_mvu: need IN_LEN %% C_IN == 0, IN_LEN %% SIMD == 0 and SIMD %% C_IN == 0 or C_IN %% SIMD == 0, got IN_LEN=%0d C_IN=%0d SIMD=%0d",
               IN_LEN, C_IN, SIMD);
    end
    if (N % PE1 != 0) begin : g_bad_fold_out
        $fatal(1, "fcnn_cnn_mvu: need N %% PE == 0, got N=%0d PE=%0d", N, PE);
    end
    if (XW < 1 || WW < 1 || ACC_W < 2) begin : g_bad_width
        $fatal(1, "fcnn_cnn_mvu: need XW >= 1, WW >= 1, ACC_W >= 2, got %0d, %0d, %0d",
               XW, WW, ACC_W);
    end
    if (X_SIGNED != 0 && X_SIGNED != 1) begin : g_bad_signed
        $fatal(1, "fcnn_cnn_mvu: X_SIGNED must be 0 or 1, got %0d", X_SIGNED);
    end
    if (PROD_SHIFT < 0) begin : g_bad_shift
        $fatal(1, "fcnn_cnn_mvu: PROD_SHIFT must be >= 0, got %0d", PROD_SHIFT);
    end
    if (USE_DSP != 0 && USE_DSP != 1) begin : g_bad_dsp
        $fatal(1, "fcnn_cnn_mvu: USE_DSP must be 0 or 1, got %0d", USE_DSP);
    end
    if (OUT_W < 0 || OUT_W > 32 || (O_SIGNED != 0 && O_SIGNED != 1) || SHIFT < -32
        || SHIFT > 64) begin : g_bad_requant
        $fatal(1, "fcnn_cnn_mvu: need OUT_W 0..32, O_SIGNED 0 or 1, SHIFT -32..64, got %0d, %0d, %0d",
               OUT_W, O_SIGNED, SHIFT);
    end
    if (VECTORS < 1) begin : g_bad_vectors
        $fatal(1, "fcnn_cnn_mvu: VECTORS must be >= 1, got %0d", VECTORS);
    end
    if (STYLE != 128'("block") && STYLE != 128'("distributed")) begin : g_bad_rom_style
        $fatal(1, "fcnn_cnn_mvu: ROM_STYLE must be \"block\" or \"distributed\", got \"%s\"",
               ROM_STYLE);
    end

    // ------------------------------------------------------------------
    // Pipeline enable: stall only when a finished vector meets a full output.
    // ------------------------------------------------------------------
    logic            p_valid;            // stage 1 holds an issued step
    logic            p_first, p_last;    // first / last step of a fold
    logic            p_end;              // last step of the vector
    logic            p_tlast;            // the vector ends an image
    logic [NFB-1:0]  p_nf;               // fold of the step
    wire             out_ready;          // the output stage can take a result (registered)
    wire             ce;                 // pipeline enable (see the output stage)

    // ------------------------------------------------------------------
    // Input side: fill one bank, C_IN elements per beat
    // ------------------------------------------------------------------
    logic [1:0]      full;               // bank b holds a whole vector not yet issued
    logic            wb;                 // bank being written
    logic [DB-1:0]   wword;              // word being written
    logic [SGB-1:0]  wseg;               // column (beat) inside the word

    assign s_axis_tready = !full[wb];
    wire s_fire = s_axis_tvalid && !full[wb];
    wire w_seg_end  = (wseg == SGB'(NSEG - 1));
    wire w_word_end = (wword == DB'(D - 1));
    wire _unused_s_last = s_axis_tlast;

    // ------------------------------------------------------------------
    // Issue side: read the other bank SIMD elements per clock, NF times
    // ------------------------------------------------------------------
    logic            rb;                 // bank being read
    logic [DB-1:0]   rword;              // word being read
    logic [RSB-1:0]  rslice;             // SIMD slice inside the word
    logic [NFB-1:0]  nf;                 // output fold
    logic [VB-1:0]   vcnt;               // vector inside the image
    logic [RAB-1:0]  waddr;              // weight ROM word = nf*SF + sf

    wire issue      = ce && full[rb];
    wire r_sl_end   = (rslice == RSB'(RPW - 1));
    wire r_word_end = (rword == DB'(D - 1));
    wire sf_first   = (rslice == '0) && (rword == '0);
    wire sf_last    = r_sl_end && r_word_end;
    wire nf_last    = (nf == NFB'(NF - 1));
    wire v_end      = sf_last && nf_last;
    wire v_tlast    = (vcnt == VB'(VECTORS - 1));

    always_ff @(posedge clk) begin
        if (s_fire) begin
            wseg <= w_seg_end ? '0 : wseg + SGB'(1);
            if (w_seg_end) begin
                wword <= w_word_end ? '0 : wword + DB'(1);
                if (w_word_end) begin
                    full[wb] <= 1'b1;
                    wb       <= !wb;
                end
            end
        end
        if (issue) begin
            rslice <= r_sl_end ? '0 : rslice + RSB'(1);
            waddr  <= (waddr == RAB'(ROM_D - 1)) ? '0 : waddr + RAB'(1);
            if (r_sl_end) begin
                rword <= r_word_end ? '0 : rword + DB'(1);
                if (r_word_end) begin
                    nf <= nf_last ? '0 : nf + NFB'(1);
                    if (nf_last) begin
                        full[rb] <= 1'b0;     // the other bank than a write's: see s_fire
                        rb       <= !rb;
                        vcnt     <= v_tlast ? '0 : vcnt + VB'(1);
                    end
                end
            end
        end
        if (ce) begin
            p_valid <= full[rb];
            p_first <= sf_first;
            p_last  <= sf_last;
            p_end   <= v_end;
            p_tlast <= v_tlast;
            p_nf    <= nf;
        end
        if (rst) begin
            full    <= '0;
            wb      <= 1'b0;
            wword   <= '0;
            wseg    <= '0;
            rb      <= 1'b0;
            rword   <= '0;
            rslice  <= '0;
            nf      <= '0;
            vcnt    <= '0;
            waddr   <= '0;
            p_valid <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // Input buffer (two banks) and the stage-1 SIMD elements p_x
    // ------------------------------------------------------------------
    wire [SW-1:0] p_x;                   // stage 1: SIMD elements, lane s at [s*XW +: XW]

    if (D == 1) begin : g_xreg
        // Each bank is one word: registers; the slice is selected before the stage register.
        // Writes are decoded per column (a variable part-select on the left would make
        // yosys build a barrel shifter over both banks); the read is one index over both
        // banks times the constant SW (yosys: a mux tree, ~0.45 LUT per bank bit).
        localparam int XB = $clog2(2 * RPW);
        logic [2*MW*XW-1:0] xbanks;      // bank b, column k at [(b*NSEG + k)*C_IN*XW]
        logic [SW-1:0]      x_q;
        wire  [XB-1:0]      xidx = rb ? XB'(RPW) + XB'(rslice) : XB'(rslice);
        wire  [SW-1:0]      x_sel = xbanks[xidx * SW +: SW];
        always_ff @(posedge clk) begin
            for (int b = 0; b < 2; b++) begin
                for (int k = 0; k < NSEG; k++) begin
                    if (s_fire && wb == 1'(b) && wseg == SGB'(k)) begin
                        xbanks[(b*NSEG + k)*CIN1*XW +: CIN1*XW] <= s_axis_tdata;
                    end
                end
            end
            if (ce) x_q <= x_sel;
        end
        assign p_x = x_q;
        wire _unused_x = &{1'b0, wword, rword};
    end else begin : g_xmem
        // Each bank is D words in a memory per column, read through a register.
        wire [AB-1:0] wa = wb ? AB'(D) + AB'(wword) : AB'(wword);
        wire [AB-1:0] ra = rb ? AB'(D) + AB'(rword) : AB'(rword);
        wire [MW*XW-1:0] xword;          // stage 1: the buffer word, column k at [k*C_IN*XW]
        for (genvar k = 0; k < NSEG; k++) begin : g_col
            logic [CIN1*XW-1:0] mem [2*D];
            logic [CIN1*XW-1:0] q;
            always_ff @(posedge clk) begin
                if (s_fire && wseg == SGB'(k)) mem[wa] <= s_axis_tdata;
                if (ce) q <= mem[ra];
            end
            assign xword[k*CIN1*XW +: CIN1*XW] = q;
        end
        if (RPW > 1) begin : g_slice
            logic [RSB-1:0] p_slice;
            always_ff @(posedge clk) begin
                if (ce) p_slice <= rslice;
            end
            assign p_x = xword[p_slice * SW +: SW];
        end else begin : g_noslice
            assign p_x = xword;
        end
    end

    // ------------------------------------------------------------------
    // Weight ROM, read through the stage-1 register p_w
    // ------------------------------------------------------------------
    wire [RWW-1:0] p_w;                  // weights (p, s) at [(p*SIMD + s)*WW +: WW]

    if (STYLE == 128'("distributed") && ROM_D <= 64) begin : g_rom_lut
        // <= 64 words: one LUT6 per word bit, in its own kept module (fcnn_cnn_wrom.sv
        // says why).
        fcnn_cnn_wrom #(
            .D           (ROM_D),
            .W           (RWW),
            .AB          (RAB),
            .WEIGHT_FILE (WEIGHT_FILE)
        ) u_rom (
            .clk  (clk),
            .ce   (ce),
            .addr (waddr),
            .q    (p_w)
        );
    end else if (STYLE == 128'("distributed")) begin : g_rom_lut_deep
        // Deeper: inline, where yosys shares the LUT6 columns' multiplexers with the lanes
        // (CNV's conv3, 144 x 1,024 bits: 3,187 LUT over block RAM inline, 4,084 kept apart).
`ifdef YOSYS
        (* rom_style = "logic" *) logic [RWW-1:0] rom [ROM_D];
`else
        (* rom_style = "distributed" *) logic [RWW-1:0] rom [ROM_D];
`endif
        logic [RWW-1:0] q;
        if (WEIGHT_FILE != "") begin : g_init
            initial $readmemh(WEIGHT_FILE, rom);
        end else begin : g_zero
            initial for (int a = 0; a < ROM_D; a++) rom[a] = '0;
        end
        always_ff @(posedge clk) begin
            if (ce) q <= rom[waddr];
        end
        assign p_w = q;
    end else begin : g_rom_bram
        (* rom_style = "block" *) logic [RWW-1:0] rom [ROM_D];
        logic [RWW-1:0] q;
        if (WEIGHT_FILE != "") begin : g_init
            initial $readmemh(WEIGHT_FILE, rom);
        end else begin : g_zero
            initial for (int a = 0; a < ROM_D; a++) rom[a] = '0;
        end
        always_ff @(posedge clk) begin
            if (ce) q <= rom[waddr];
        end
        assign p_w = q;
    end

    // ------------------------------------------------------------------
    // PE x SIMD multipliers and PE accumulators
    // ------------------------------------------------------------------
    logic [AW-1:0] acc;                  // accumulator p at [p*ACC_W +: ACC_W]
    wire  [AW-1:0] acc_next;
    wire  [GW-1:0] y_next;               // output p of the fold at [p*YW +: YW]

    // LUT multipliers (USE_DSP = 0) work by weight bit planes:
    //     sum_s x[s]*w[s] = sum_j 2^j * sum_s (x[s] AND w[s][j])   (plane WW-1 weighs -2^(WW-1)),
    // each plane a pairwise adder tree of SIMD AND-gated elements, XW (+1 when signed)
    // bits at the leaves and one more per level, then WW shifted plane sums: for 2-bit
    // operands about a third fewer LUTs than a product per lane summed at ACC_W bits
    // (fcnn_cnn_mvu.md). USE_DSP = 1: a product per lane (`*`), summed.
    localparam int LV = (SIMD1 > 1) ? $clog2(SIMD1) : 0;  // tree levels
    localparam int XE = XW + X_SIGNED;                       // a leaf (sign bit included)
    localparam int TW = XE + LV;                             // a plane's sum
    localparam int DW = TW + WW + 1;                         // the SIMD lanes' dot product

    for (genvar p = 0; p < PE1; p++) begin : g_pe
        wire signed [DW-1:0] dot;        // sum_s x[s]*w[s][p] of this step (exact)

        if (USE_DSP == 1) begin : g_dsp
            wire [SIMD1*PW-1:0] prods;   // product s at [s*PW +: PW]
            for (genvar s = 0; s < SIMD1; s++) begin : g_mul
                wire [XW-1:0]        xr = p_x[s*XW +: XW];
                wire signed [WW-1:0] w  = p_w[(p*SIMD1 + s)*WW +: WW];
                wire signed [PW-1:0] xe = (X_SIGNED == 1) ? {{(PW - XW){xr[XW-1]}}, xr}
                                                          : {{(PW - XW){1'b0}}, xr};
                assign prods[s*PW +: PW] = xe * PW'(w);
            end
            logic signed [DW-1:0] d;
            always_comb begin
                d = '0;
                for (int s = 0; s < SIMD1; s++) d = d + DW'($signed(prods[s*PW +: PW]));
            end
            assign dot = d;
        end else begin : g_lut
            wire signed [DW-1:0] terms [WW];     // plane j's sum times +-2^j
            for (genvar j = 0; j < WW; j++) begin : g_plane
                for (genvar l = 0; l <= LV; l++) begin : g_lvl
                    localparam int NL = 1 << (LV - l);   // sums at this level
                    localparam int LW = XE + l;          // their width
                    wire [NL*LW-1:0] v;                  // sum i at [i*LW +: LW]
                    if (l == 0) begin : g_leaf
                        for (genvar i = 0; i < NL; i++) begin : g_i
                            if (i < SIMD1) begin : g_x
                                wire [XW-1:0] xa = p_x[i*XW +: XW]
                                                   & {XW{p_w[(p*SIMD1 + i)*WW + j]}};
                                assign v[i*LW +: LW] = (X_SIGNED == 1) ? LW'($signed(xa))
                                                                       : LW'(xa);
                            end else begin : g_pad
                                assign v[i*LW +: LW] = '0;
                            end
                        end
                    end else begin : g_add
                        for (genvar i = 0; i < NL; i++) begin : g_i
                            wire [LW-2:0] a = g_lvl[l-1].v[(2*i)*(LW-1) +: LW-1];
                            wire [LW-2:0] b = g_lvl[l-1].v[(2*i+1)*(LW-1) +: LW-1];
                            if (X_SIGNED == 1) begin : g_s
                                assign v[i*LW +: LW] = LW'($signed(a)) + LW'($signed(b));
                            end else begin : g_u
                                assign v[i*LW +: LW] = LW'(a) + LW'(b);
                            end
                        end
                    end
                end
                wire [TW-1:0]        ps = g_lvl[LV].v;
                wire signed [DW-1:0] e  = (X_SIGNED == 1) ? DW'($signed(ps))
                                                          : DW'($signed({1'b0, ps}));
                assign terms[j] = (j == WW - 1) ? -(e <<< j) : (e <<< j);
            end
            logic signed [DW-1:0] d;
            always_comb begin
                d = '0;
                for (int j = 0; j < WW; j++) d = d + terms[j];
            end
            assign dot = d;
        end

        // Bias of output nf*PE + p (a constant per fold).
        logic signed [ACC_W-1:0] bias;
        always_comb begin
            bias = BIAS[p*ACC_W +: ACC_W];
            for (int f = 1; f < NF; f++) begin
                if (p_nf == NFB'(f)) bias = BIAS[(f*PE1 + p)*ACC_W +: ACC_W];
            end
        end

        // The step's dot product added to the accumulator (or to the bias on a fold's
        // first step). Modulo 2^ACC_W: exact, since every partial sum of the contract fits.
        assign acc_next[p*ACC_W +: ACC_W] = (p_first ? bias : acc[p*ACC_W +: ACC_W])
                                            + (ACC_W'(dot) <<< PROD_SHIFT);
        if (DW > ACC_W) begin : g_dot_wide
            wire _unused_dot = &{1'b0, dot[DW-1:ACC_W]};
        end

        // The output: the sum, or requantized (fcnn_cnn_requant's arithmetic).
        if (OUT_W == 0) begin : g_raw
            assign y_next[p*YW +: YW] = acc_next[p*ACC_W +: ACC_W];
        end else begin : g_rq
            localparam int RS = (SHIFT > 0) ? SHIFT : 0;
            localparam int LS = (SHIFT < 0) ? -SHIFT : 0;
            localparam int QX = (ACC_W > RS) ? ACC_W : RS;
            localparam int EW = ((QX + LS > OUT_W) ? QX + LS : OUT_W) + 2;
            localparam logic signed [EW-1:0] QMAX = (O_SIGNED == 1)
                ? (EW'(1) <<< (OUT_W - 1)) - EW'(1) : (EW'(1) <<< OUT_W) - EW'(1);
            localparam logic signed [EW-1:0] QMIN = (O_SIGNED == 1)
                ? -(EW'(1) <<< (OUT_W - 1)) : EW'(0);
            wire signed [ACC_W-1:0] x  = acc_next[p*ACC_W +: ACC_W];
            wire signed [EW-1:0]    xe = EW'(x);
            wire signed [EW-1:0]    r;
            if (RS > 0) begin : g_round
                localparam logic [RS-1:0] HALF = RS'(1) << (RS - 1);
                wire signed [EW-1:0] t    = xe >>> RS;
                wire        [RS-1:0] frac = xe[RS-1:0];
                wire                 up   = frac[RS-1] && ((frac != HALF) || t[0]);
                assign r = t + EW'(up);
            end else if (LS > 0) begin : g_lshift
                assign r = xe <<< LS;
            end else begin : g_same
                assign r = xe;
            end
            wire signed [EW-1:0] q = (r > QMAX) ? QMAX : (r < QMIN) ? QMIN : r;
            assign y_next[p*YW +: YW] = q[YW-1:0];
            wire _unused_q = &{1'b0, q[EW-1:YW]};
        end
    end

    always_ff @(posedge clk) begin
        if (ce && p_valid) acc <= acc_next;
    end

    // ------------------------------------------------------------------
    // Output stage: one of three, by the schedule
    // ------------------------------------------------------------------
    // OUT_SKID   (SF*NF = 1, a vector per clock): the vector into a two-entry skid.
    // OUT_DIRECT (SF >= 2): each fold's PE sums written straight into the output
    //            register; a fold that finds the register still full stalls (with SF >= 2
    //            clocks per fold an always-ready sink never causes a stall).
    // OUT_COLLECT (SF = 1, NF > 1: a fold per clock): folds 0..NF-2 shifted into a
    //            collect register, the whole vector then into the output register.
    // The stall condition uses registers only (out_ready), never m_axis_tready.
    localparam bit OUT_SKID   = (TOTAL == 1);
    localparam bit OUT_DIRECT = (SF >= 2);
    wire stall_step = OUT_DIRECT ? p_last : p_end;  // the steps that need the output stage
    assign ce = !(p_valid && stall_step) || out_ready;

    if (OUT_SKID) begin : g_out_skid
        fcnn_axis_skid #(
            .WIDTH(N * YW + 1)
        ) u_skid (
            .clk     (clk),
            .rst     (rst),
            .s_data  ({p_tlast, y_next}),
            .s_valid (p_valid && p_end),
            .s_ready (out_ready),
            .m_data  ({m_axis_tlast, m_axis_tdata}),
            .m_valid (m_axis_tvalid),
            .m_ready (m_axis_tready)
        );
        wire _unused_fold = &{1'b0, p_nf, p_last};
    end else begin : g_out_reg
        logic               o_valid, o_last;
        logic [N*YW-1:0]    o_data;      // fold f at [f*GW +: GW]
        wire                fold_done = ce && p_valid && p_last;

        if (OUT_DIRECT) begin : g_direct
            // Folds finish in order 0..NF-1, all while the register is empty (a fold
            // that finds it full stalls), so each is shifted in at the top and fold f
            // ends at [f*GW +: GW]: one shared enable, no decode per fold (decoded
            // writes cost about a LUT per fold: 664 of fc1's 1,878 LUT in CNV).
            if (NF > 1) begin : g_shift
                always_ff @(posedge clk) begin
                    if (fold_done) o_data <= {y_next, o_data[N*YW-1:GW]};
                end
            end else begin : g_one_fold
                always_ff @(posedge clk) begin
                    if (fold_done) o_data <= y_next;
                end
            end
        end else begin : g_collect
            logic [(NF-1)*GW-1:0] col;   // folds 0..NF-2, fold 0 lowest once all are in
            wire  [(NF-1)*GW-1:0] col_next;
            if (NF > 2) begin : g_shift
                assign col_next = {y_next, col[(NF-1)*GW-1:GW]};
            end else begin : g_one
                assign col_next = y_next;
            end
            always_ff @(posedge clk) begin
                if (fold_done && !p_end) col <= col_next;
                if (fold_done && p_end)  o_data <= {y_next, col};
            end
            wire _unused_fold = &{1'b0, p_nf};
        end

        always_ff @(posedge clk) begin
            if (m_axis_tready) o_valid <= 1'b0;
            if (fold_done && p_end) begin
                o_valid <= 1'b1;
                o_last  <= p_tlast;
            end
            if (rst) o_valid <= 1'b0;
        end
        assign out_ready     = !o_valid;
        assign m_axis_tvalid = o_valid;
        assign m_axis_tdata  = o_data;
        assign m_axis_tlast  = o_last;
    end

endmodule

`resetall
