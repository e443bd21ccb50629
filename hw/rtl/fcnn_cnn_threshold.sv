// fcnn_cnn_threshold: per-element threshold activation (FINN-style multi-threshold).
//
// Each of the C elements of a beat is an IW-bit integer x (signed two's complement when
// I_SIGNED = 1): the mantissa of the layer input on its fixed-point grid (an exact
// accumulator, or the model input). The output element is
//     q = LEVELS[k],   k = the number of thresholds THRESHOLDS[j] <= x   (0 <= k <= N)
// in OW bits. THRESHOLDS holds N strictly increasing IW-bit mantissas on the input's
// grid (entry j at [j*IW +: IW]); LEVELS holds N + 1 OW-bit output codes (entry k at
// [k*OW +: OW]); both are parameters written by the generator from the table that
// fpgacnn.hw.convert.threshold derives from the QKeras quantizer (binary_tanh,
// quantized_relu_po2, quantized_po2), so the block is bit-exact with it.
//
// N comparators per element; the comparisons form a thermometer code (the thresholds
// increase), k is its count. PE elements are compared per clock:
// - PE = C: one beat per clock, one register stage (an fcnn_axis_skid, registered
//   s_axis_tready);
// - PE < C (C % PE == 0, folded, as FINN folds its thresholds): a beat is taken into a
//   register, its C/PE groups of PE elements are compared one group per clock (a shift
//   register, no multiplexers), and the assembled beat leaves through the skid buffer:
//   one beat per C/PE + 2 clocks, PE*N comparators instead of C*N.
// m_axis_tlast is s_axis_tlast delayed with its beat.
`default_nettype none

module fcnn_cnn_threshold #(
    // Elements per beat.
    parameter int C = 1,
    // Input element width.
    parameter int IW = 16,
    // 1: input elements are signed; 0: unsigned.
    parameter int I_SIGNED = 1,
    // Output element width.
    parameter int OW = 8,
    // Number of thresholds (output levels: N + 1).
    parameter int N = 1,
    // Elements compared per clock (C % PE == 0; PE = C: one beat per clock).
    parameter int PE = C,
    // N thresholds, IW bits each, entry j at [j*IW +: IW], strictly increasing.
    parameter logic [N*IW-1:0] THRESHOLDS = '0,
    // N + 1 output codes, OW bits each, entry k at [k*OW +: OW].
    parameter logic [(N+1)*OW-1:0] LEVELS = '0
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [C*IW-1:0]   s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tlast,

    output wire [C*OW-1:0]   m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

    if (C < 1) begin : g_bad_c
        $fatal(1, "fcnn_cnn_threshold: C must be >= 1, got %0d", C);
    end
    if (IW < 1 || IW > 64) begin : g_bad_iw
        $fatal(1, "fcnn_cnn_threshold: IW must be 1..64, got %0d", IW);
    end
    if (I_SIGNED != 0 && I_SIGNED != 1) begin : g_bad_signed
        $fatal(1, "fcnn_cnn_threshold: I_SIGNED must be 0 or 1, got %0d", I_SIGNED);
    end
    if (OW < 1 || OW > 32) begin : g_bad_ow
        $fatal(1, "fcnn_cnn_threshold: OW must be 1..32, got %0d", OW);
    end
    if (N < 1 || N > 63) begin : g_bad_n
        $fatal(1, "fcnn_cnn_threshold: N must be 1..63, got %0d", N);
    end
    if (PE < 1 || PE > C || C % PE != 0) begin : g_bad_pe
        $fatal(1, "fcnn_cnn_threshold: PE must divide C, got C=%0d PE=%0d", C, PE);
    end

    // Bits of the count k (0..N).
    localparam int KW = $clog2(N + 1);

    // ------------------------------------------------------------------
    // PE comparator banks: element p of e_in -> level code of element p of e_out
    // ------------------------------------------------------------------
    wire [PE*IW-1:0] e_in;
    wire [PE*OW-1:0] e_out;

    for (genvar p = 0; p < PE; p++) begin : g_elem
        // The input and the thresholds widened by one bit (sign or zero), so that one
        // signed compare serves signed and unsigned inputs.
        wire [IW-1:0] xin = e_in[p*IW +: IW];
        wire signed [IW:0] x = {(I_SIGNED == 1) ? xin[IW-1] : 1'b0, xin};
        wire [N-1:0] ge;                     // thermometer: ge[j] = (x >= THRESHOLDS[j])
        for (genvar j = 0; j < N; j++) begin : g_cmp
            localparam logic [IW-1:0] TJ = THRESHOLDS[j*IW +: IW];
            localparam logic signed [IW:0] T = {(I_SIGNED == 1) ? TJ[IW-1] : 1'b0, TJ};
            assign ge[j] = (x >= T);
        end
        logic [KW-1:0] k;
        always_comb begin
            k = '0;
            for (int j = 0; j < N; j++) begin
                k = k + KW'(ge[j]);
            end
        end
        assign e_out[p*OW +: OW] = LEVELS[k*OW +: OW];
    end

    wire [C*OW-1:0] beat_data;   // the finished beat, into the skid buffer
    wire            beat_last;
    wire            beat_valid;
    wire            beat_ready;

    if (PE == C) begin : g_full
        assign e_in          = s_axis_tdata;
        assign beat_data     = e_out;
        assign beat_last     = s_axis_tlast;
        assign beat_valid    = s_axis_tvalid;
        assign s_axis_tready = beat_ready;
    end else begin : g_folded
        localparam int G  = C / PE;                      // groups per beat
        localparam int GW = (G > 1) ? $clog2(G) : 1;
        logic [C*IW-1:0] x_reg;      // the beat's inputs, the next group lowest
        logic [C*OW-1:0] y_reg;      // the level codes, shifted in from the top
        logic            last_reg;
        logic            busy;       // a beat is held
        logic            done;       // all its groups are compared
        logic [GW-1:0]   group;

        assign e_in          = x_reg[PE*IW-1:0];
        assign s_axis_tready = !busy;
        assign beat_data     = y_reg;
        assign beat_last     = last_reg;
        assign beat_valid    = done;

        always_ff @(posedge clk) begin
            if (rst) begin
                busy  <= 1'b0;
                done  <= 1'b0;
                group <= '0;
            end else if (!busy) begin
                if (s_axis_tvalid) begin
                    busy  <= 1'b1;
                    group <= '0;
                end
            end else if (!done) begin
                group <= group + GW'(1);
                if (group == GW'(G - 1)) begin
                    done <= 1'b1;
                end
            end else if (beat_ready) begin
                busy <= 1'b0;
                done <= 1'b0;
            end
        end

        always_ff @(posedge clk) begin
            if (!busy && s_axis_tvalid) begin
                x_reg    <= s_axis_tdata;
                last_reg <= s_axis_tlast;
            end else if (busy && !done) begin
                x_reg <= x_reg >> (PE * IW);
                y_reg <= {e_out, y_reg[C*OW-1:PE*OW]};
            end
        end
    end

    fcnn_axis_skid #(
        .WIDTH(C * OW + 1)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({beat_last, beat_data}),
        .s_valid (beat_valid),
        .s_ready (beat_ready),
        .m_data  ({m_axis_tlast, m_axis_tdata}),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );

endmodule

`resetall
