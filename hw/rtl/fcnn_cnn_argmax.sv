// fcnn_cnn_argmax: label of the largest score, with the scores passed along.
//
// Each input beat carries N SW-bit scores (score n at s_axis_tdata[n*SW +: SW]),
// two's complement when SIGNED = 1, unsigned when SIGNED = 0 (a ReLU output). The output beat is m_axis_tdata = {scores, label}: label (8 bits, the
// index of the maximum; ties go to the lowest index, like numpy.argmax) in
// m_axis_tdata[7:0] and score n at m_axis_tdata[8 + n*SW +: SW]; m_axis_tlast = 1. Every input
// beat is one result (s_axis_tlast is not checked).
//
// A balanced compare tree (the left subtree always holds the lower indices,
// and the right operand wins only when strictly greater) feeds one register
// stage, an fcnn_axis_skid: one beat per clock, registered s_axis_tready.
`default_nettype none

module fcnn_cnn_argmax #(
    // Number of scores (classes), 1..256.
    parameter int N = 10,
    // Score width.
    parameter int SW = 16,
    // 1: scores are signed two's complement; 0: unsigned.
    parameter int SIGNED = 1
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [N*SW-1:0]      s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,

    output wire [N*SW+7:0]      m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int LW = 8;                                     // label width
    localparam int L  = (N > 1) ? $clog2(N) : 1;               // tree levels
    localparam int NP = 1 << L;                                // leaves (padded)

    if (N < 1 || N > 256) begin : g_bad_n
        $fatal(1, "fcnn_cnn_argmax: N must be 1..256, got %0d", N);
    end
    if (SW < 1) begin : g_bad_sw
        $fatal(1, "fcnn_cnn_argmax: SW must be >= 1, got %0d", SW);
    end
    if (SIGNED != 0 && SIGNED != 1) begin : g_bad_signed
        $fatal(1, "fcnn_cnn_argmax: SIGNED must be 0 or 1, got %0d", SIGNED);
    end

    // a > b as scores: both extended by one bit (the sign, or a 0) and compared signed
    function automatic logic greater(input logic [SW-1:0] a, input logic [SW-1:0] b);
        logic [SW:0] ea, eb;
        ea = {(SIGNED == 1) ? a[SW-1] : 1'b0, a};
        eb = {(SIGNED == 1) ? b[SW-1] : 1'b0, b};
        greater = $signed(ea) > $signed(eb);
    endfunction

    // ------------------------------------------------------------------
    // Compare tree: node k of a level is the winner of nodes 2k and 2k+1 of
    // the level below (computed in place, lowest node first).
    // ------------------------------------------------------------------
    logic [NP*SW-1:0] t_s;               // scores
    logic [NP*LW-1:0] t_i;               // indices
    logic [NP-1:0]    t_v;               // node holds a real score (not padding)

    always_comb begin
        t_s = '0;
        t_i = '0;
        t_v = '0;
        for (int n = 0; n < N; n++) begin
            t_s[n*SW +: SW] = s_axis_tdata[n*SW +: SW];
            t_i[n*LW +: LW] = LW'(n);
            t_v[n]          = 1'b1;
        end
        for (int l = 0; l < L; l++) begin
            for (int k = 0; k < (NP >> (l + 1)); k++) begin
                if (t_v[2*k+1] && (!t_v[2*k] ||
                        greater(t_s[(2*k+1)*SW +: SW], t_s[2*k*SW +: SW]))) begin
                    t_s[k*SW +: SW] = t_s[(2*k+1)*SW +: SW];
                    t_i[k*LW +: LW] = t_i[(2*k+1)*LW +: LW];
                end else begin
                    t_s[k*SW +: SW] = t_s[2*k*SW +: SW];
                    t_i[k*LW +: LW] = t_i[2*k*LW +: LW];
                end
                t_v[k] = t_v[2*k] || t_v[2*k+1];
            end
        end
    end

    wire _unused_s_last = s_axis_tlast;
    wire _unused_tree = &{1'b0, t_s, t_i[NP*LW-1:LW], t_v};

    fcnn_axis_skid #(
        .WIDTH(N * SW + LW)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({s_axis_tdata, t_i[LW-1:0]}),
        .s_valid (s_axis_tvalid),
        .s_ready (s_axis_tready),
        .m_data  (m_axis_tdata),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );
    assign m_axis_tlast = 1'b1;

endmodule

`resetall
