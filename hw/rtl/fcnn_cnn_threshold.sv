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
// increase), k is its count. One register stage (an fcnn_axis_skid: one beat per
// clock, registered s_axis_tready); m_axis_tlast is s_axis_tlast delayed with its beat.
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

    // Bits of the count k (0..N).
    localparam int KW = $clog2(N + 1);

    wire [C*OW-1:0] q_all;

    for (genvar c = 0; c < C; c++) begin : g_elem
        // The input and the thresholds widened by one bit (sign or zero), so that one
        // signed compare serves signed and unsigned inputs.
        wire [IW-1:0] xin = s_axis_tdata[c*IW +: IW];
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
        assign q_all[c*OW +: OW] = LEVELS[k*OW +: OW];
    end

    fcnn_axis_skid #(
        .WIDTH(C * OW + 1)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({s_axis_tlast, q_all}),
        .s_valid (s_axis_tvalid),
        .s_ready (s_axis_tready),
        .m_data  ({m_axis_tlast, m_axis_tdata}),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );

endmodule

`resetall
