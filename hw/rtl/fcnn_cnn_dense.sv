// fcnn_cnn_dense: fully connected layer with time-multiplexed multipliers.
//
// One image is the flattened input vector of IN_LEN elements, arriving as
// IN_LEN/C beats of C elements (element i = beat i/C, lane i%C, at
// s_axis_tdata[(i%C)*XW +: XW]). For every output n the core computes, exactly,
//     y[n] = BIAS[n] + sum_i (x[i] * w[i][n]) << PROD_SHIFT
// in ACC_W-bit two's complement (the generator sizes ACC_W so that nothing
// overflows) and sends one beat with all N sums (y[n] at m_axis_tdata[n*ACC_W +:
// ACC_W]) and m_axis_tlast = 1. Framing is by count (IN_LEN/C beats per image);
// s_axis_tlast is not checked.
//
// Structure. An accepted beat is held in an input register and consumed G
// elements per clock (C/G clocks per beat, then the next beat is taken in the
// same clock: full throughput is one beat per C/G clocks). Each clock issues
// G elements with their weight-ROM row (weights of elements row*G .. row*G+G-1
// for all N outputs) into a pipeline register; the next clock multiplies them
// in a G x N array and adds the products to the N accumulators (the bias on
// an image's first row). The final sums go to an fcnn_axis_skid (two results
// of buffering), so the next image is accumulated while a result waits for
// m_axis_tready. The pipeline stalls only when a finished sum finds the skid full.
`default_nettype none

module fcnn_cnn_dense #(
    // Input vector length (elements per image).
    parameter int IN_LEN = 4,
    // Elements per input beat (IN_LEN % C == 0).
    parameter int C = 1,
    // Outputs (neurons).
    parameter int N = 1,
    // Input element width.
    parameter int XW = 8,
    // 1: input elements are signed two's complement; 0: unsigned.
    parameter int X_SIGNED = 0,
    // Weight width (signed two's complement).
    parameter int WW = 8,
    // Weights, weight (i, n) at bits [(i*N + n)*WW +: WW].
    parameter logic [IN_LEN*N*WW-1:0] WEIGHTS = '0,
    // Accumulator width (signed, exact: the sums must fit).
    parameter int ACC_W = 32,
    // Biases at the accumulator scale, bias n at bits [n*ACC_W +: ACC_W] (signed).
    parameter logic [N*ACC_W-1:0] BIAS = '0,
    // Left shift applied to every product before accumulation (>= 0).
    parameter int PROD_SHIFT = 0,
    // Elements multiplied per clock (C % G == 0).
    parameter int G = 1,
    // 0: multipliers are LUT logic (shift-add, use_dsp = "no"); 1: plain `*` (DSPs allowed).
    parameter int USE_DSP = 0
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [C*XW-1:0]      s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,

    output wire [N*ACC_W-1:0]   m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int ROWS  = (G >= 1) ? IN_LEN / G : 1;          // weight-ROM rows (clocks per image)
    localparam int STEPS = (G >= 1) ? C / G : 1;               // clocks per input beat
    localparam int RB    = (ROWS > 1) ? $clog2(ROWS) : 1;
    localparam int SB    = (STEPS > 1) ? $clog2(STEPS) : 1;
    localparam int GNW   = G * N * WW;                         // one ROM row
    localparam int PW    = XW + 1 + WW;                        // product width (exact)

    if (IN_LEN < 1 || C < 1 || N < 1) begin : g_bad_size
        $fatal(1, "fcnn_cnn_dense: IN_LEN, C and N must be >= 1, got %0d, %0d, %0d",
               IN_LEN, C, N);
    end
    if (G < 1 || C % G != 0 || IN_LEN % C != 0) begin : g_bad_fold
        $fatal(1, "fcnn_cnn_dense: need IN_LEN %% C == 0 and C %% G == 0, got IN_LEN=%0d C=%0d G=%0d",
               IN_LEN, C, G);
    end
    if (XW < 1 || WW < 1 || ACC_W < 2) begin : g_bad_width
        $fatal(1, "fcnn_cnn_dense: need XW >= 1, WW >= 1, ACC_W >= 2, got %0d, %0d, %0d",
               XW, WW, ACC_W);
    end
    if (X_SIGNED != 0 && X_SIGNED != 1) begin : g_bad_signed
        $fatal(1, "fcnn_cnn_dense: X_SIGNED must be 0 or 1, got %0d", X_SIGNED);
    end
    if (PROD_SHIFT < 0) begin : g_bad_shift
        $fatal(1, "fcnn_cnn_dense: PROD_SHIFT must be >= 0, got %0d", PROD_SHIFT);
    end
    if (USE_DSP != 0 && USE_DSP != 1) begin : g_bad_dsp
        $fatal(1, "fcnn_cnn_dense: USE_DSP must be 0 or 1, got %0d", USE_DSP);
    end

    // ------------------------------------------------------------------
    // Pipeline enable: stall only when a finished sum meets a full skid.
    // ------------------------------------------------------------------
    logic            p_valid, p_first, p_last;
    logic [G*XW-1:0] p_x;                // G elements, lane g at [g*XW +: XW]
    logic [GNW-1:0]  p_w;                // weights (g, n) at [(g*N + n)*WW +: WW]
    wire             out_ready;
    wire             ce = !(p_valid && p_last) || out_ready;

    // ------------------------------------------------------------------
    // Input register and issue
    // ------------------------------------------------------------------
    logic [C*XW-1:0] xbuf;               // unconsumed elements of the held beat, lowest first
    logic            busy;               // xbuf holds elements to issue
    logic [SB-1:0]   sub;                // issue step inside the held beat
    logic [RB-1:0]   row;                // ROM row of the next issue

    // Weight ROM (constant rows selected by row; no address multiplier).
    logic [GNW-1:0] rom_row;
    always_comb begin
        rom_row = '0;
        for (int r = 0; r < ROWS; r++) begin
            if (row == RB'(r)) rom_row = WEIGHTS[r*GNW +: GNW];
        end
    end

    wire sub_end = (sub == SB'(STEPS - 1));
    assign s_axis_tready = ce && (!busy || sub_end);
    wire s_fire = s_axis_tvalid && s_axis_tready;
    wire issue  = ce && busy;
    wire _unused_s_last = s_axis_tlast;

    always_ff @(posedge clk) begin
        if (issue) begin
            xbuf <= xbuf >> (G * XW);
            sub  <= sub + SB'(1);
            row  <= (row == RB'(ROWS - 1)) ? '0 : row + RB'(1);
            if (sub_end) busy <= 1'b0;
        end
        if (s_fire) begin
            xbuf <= s_axis_tdata;
            sub  <= '0;
            busy <= 1'b1;
        end
        if (ce) begin
            p_valid <= issue;
            p_first <= (row == '0);
            p_last  <= (row == RB'(ROWS - 1));
            p_x     <= xbuf[G*XW-1:0];
            p_w     <= rom_row;
        end
        if (rst) begin
            busy    <= 1'b0;
            sub     <= '0;
            row     <= '0;
            p_valid <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // G x N multipliers and accumulators
    // ------------------------------------------------------------------
    logic [N*ACC_W-1:0] acc;
    wire  [N*ACC_W-1:0] acc_next;

    for (genvar n = 0; n < N; n++) begin : g_out
        wire [G*PW-1:0] prods;           // product g at [g*PW +: PW]
        for (genvar g = 0; g < G; g++) begin : g_mul
            wire [XW-1:0]        xr = p_x[g*XW +: XW];
            wire signed [WW-1:0] w  = p_w[(g*N + n)*WW +: WW];
            wire signed [PW-1:0] xe = (X_SIGNED == 1) ? {{(PW - XW){xr[XW-1]}}, xr}
                                                      : {{(PW - XW){1'b0}}, xr};
            if (USE_DSP == 1) begin : g_dsp
                assign prods[g*PW +: PW] = xe * PW'(w);
            end else begin : g_lut
                // Shift-add of AND-gated partial products (the weight MSB weighs -2^(WW-1)).
                (* use_dsp = "no" *) logic signed [PW-1:0] prod;
                always_comb begin
                    prod = '0;
                    for (int j = 0; j < WW; j++) begin
                        if (j == WW - 1) prod = prod - ((xe <<< j) & {PW{w[j]}});
                        else             prod = prod + ((xe <<< j) & {PW{w[j]}});
                    end
                end
                assign prods[g*PW +: PW] = prod;
            end
        end

        logic signed [ACC_W-1:0] sum;
        always_comb begin
            sum = p_first ? BIAS[n*ACC_W +: ACC_W] : acc[n*ACC_W +: ACC_W];
            for (int g = 0; g < G; g++) begin
                sum = sum + (ACC_W'($signed(prods[g*PW +: PW])) <<< PROD_SHIFT);
            end
        end
        assign acc_next[n*ACC_W +: ACC_W] = sum;
    end

    always_ff @(posedge clk) begin
        if (ce && p_valid) acc <= acc_next;
    end

    // ------------------------------------------------------------------
    // Output
    // ------------------------------------------------------------------
    fcnn_axis_skid #(
        .WIDTH(N * ACC_W)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  (acc_next),
        .s_valid (p_valid && p_last),
        .s_ready (out_ready),
        .m_data  (m_axis_tdata),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );
    assign m_axis_tlast = 1'b1;

endmodule

`resetall
