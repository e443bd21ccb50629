// fcnn_cnn_requant: per-element requantization (round half to even, saturate).
//
// Each of the C elements of a beat is a signed IW-bit integer x (an exact
// accumulator mantissa). The output element is
//     q = saturate(round_half_to_even(x / 2^SHIFT))
// in OW bits: unsigned range [0, 2^OW - 1] when O_SIGNED = 0 (ReLU and
// quantization in one: negatives become 0) or [-2^(OW-1), 2^(OW-1) - 1] when
// O_SIGNED = 1. This is hls4ml's cast to ap_[u]fixed<OW, ..., AP_RND_CONV,
// AP_SAT> when the output LSB is 2^SHIFT input LSBs. SHIFT may be 0 (no
// rounding) or negative (a left shift by -SHIFT, still saturating).
//
// One register stage (an fcnn_axis_skid: one beat per clock, registered
// s_axis_tready). m_axis_tlast is s_axis_tlast delayed with its beat.
`default_nettype none

module fcnn_cnn_requant #(
    // Elements per beat.
    parameter int C = 1,
    // Input element width (signed two's complement).
    parameter int IW = 16,
    // Output element width.
    parameter int OW = 8,
    // 1: signed output range; 0: unsigned output range (negatives -> 0).
    parameter int O_SIGNED = 0,
    // Right shift (divide by 2^SHIFT with rounding); negative = left shift.
    parameter int SHIFT = 0
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

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int RS = (SHIFT > 0) ? SHIFT : 0;               // right shift
    localparam int LS = (SHIFT < 0) ? -SHIFT : 0;              // left shift
    localparam int XW = (IW > RS) ? IW : RS;                   // input, wide enough for the fraction
    // Working width: holds x << LS, the rounded value and both saturation bounds.
    localparam int EW = ((XW + LS > OW) ? XW + LS : OW) + 2;
    localparam logic signed [EW-1:0] QMAX = (O_SIGNED == 1)
        ? (EW'(1) <<< (OW - 1)) - EW'(1) : (EW'(1) <<< OW) - EW'(1);
    localparam logic signed [EW-1:0] QMIN = (O_SIGNED == 1) ? -(EW'(1) <<< (OW - 1)) : EW'(0);

    if (C < 1) begin : g_bad_c
        $fatal(1, "fcnn_cnn_requant: C must be >= 1, got %0d", C);
    end
    if (IW < 1 || IW > 64) begin : g_bad_iw
        $fatal(1, "fcnn_cnn_requant: IW must be 1..64, got %0d", IW);
    end
    if (OW < 1 || OW > 32) begin : g_bad_ow
        $fatal(1, "fcnn_cnn_requant: OW must be 1..32, got %0d", OW);
    end
    if (O_SIGNED != 0 && O_SIGNED != 1) begin : g_bad_signed
        $fatal(1, "fcnn_cnn_requant: O_SIGNED must be 0 or 1, got %0d", O_SIGNED);
    end
    if (SHIFT < -32 || SHIFT > 64) begin : g_bad_shift
        $fatal(1, "fcnn_cnn_requant: SHIFT must be -32..64, got %0d", SHIFT);
    end

    // ------------------------------------------------------------------
    // Datapath (combinational, registered by the skid buffer)
    // ------------------------------------------------------------------
    wire [C*OW-1:0] q_all;

    for (genvar c = 0; c < C; c++) begin : g_elem
        wire signed [IW-1:0] x  = s_axis_tdata[c*IW +: IW];
        wire signed [EW-1:0] xe = {{(EW - IW){x[IW-1]}}, x};
        wire signed [EW-1:0] r;          // rounded (or shifted) value, exact
        if (RS > 0) begin : g_round
            localparam logic [RS-1:0] HALF = RS'(1) << (RS - 1);
            wire signed [EW-1:0] t    = xe >>> RS;                // floor(x / 2^RS)
            wire        [RS-1:0] frac = xe[RS-1:0];
            wire                 up   = frac[RS-1] && ((frac != HALF) || t[0]);
            assign r = t + EW'(up);
        end else if (LS > 0) begin : g_lshift
            assign r = xe <<< LS;
        end else begin : g_same
            assign r = xe;
        end
        wire signed [EW-1:0] q = (r > QMAX) ? QMAX : (r < QMIN) ? QMIN : r;
        assign q_all[c*OW +: OW] = q[OW-1:0];
        wire _unused_q = &{1'b0, q[EW-1:OW]};
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
