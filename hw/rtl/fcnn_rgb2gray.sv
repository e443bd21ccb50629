// fcnn_rgb2gray: 24-bit colour to 8-bit gray, AXI4-Stream video, PPC pixels per beat.
//
// Y = (3735 B + 19235 G + 9798 R + 16384) >> 15 for every pixel, the integer
// BT.601 rule of the contracts layer (fpgacnn.spec.frames.gray_from_bgr, equal
// to OpenCV's COLOR_BGR2GRAY on all 2**24 colours). Input pixel i of a beat is
// s_axis_tdata[24*i +: 24]; output pixel i is m_axis_tdata[8*i +: 8].
//
// Framing: tuser (start of frame) and tlast (end of line) pass through with
// their beat, unchanged. The block is per pixel and keeps no frame state, so a
// malformed stream leaves it as malformed as it came: the framing checks (and
// the policy: sticky errors, resynchronisation at the next SOF) belong to the
// frame consumers (fcnn_edge_core, fcnn_crop_scale). It never stalls on its own.
//
// Pipeline: S1 the three weighted channels, S2 their rounded sum, then a skid
// buffer whose registered ready is the clock enable of both stages (no
// combinational path from m_axis_tready to s_axis_tready). Latency 2 cycles,
// one beat per clock.
`default_nettype none

module fcnn_rgb2gray #(
    // Pixels per clock (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Channel order of a 24-bit input pixel: 1 = BGR (B in the low byte, as
    // OpenCV frames lie in memory), 0 = RGB (R in the low byte).
    parameter bit BGR = 1'b1
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [24*PPC-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tuser,
    input  wire              s_axis_tlast,

    output wire [8*PPC-1:0]  m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tuser,
    output wire              m_axis_tlast
);

    // BT.601 weights in 15-bit fixed point (fpgacnn.spec.frames.BGR2GRAY_FIXED).
    localparam logic [14:0] W_B = 15'd3735;
    localparam logic [14:0] W_G = 15'd19235;
    localparam logic [14:0] W_R = 15'd9798;
    localparam int          SHIFT = 15;

    if (PPC != 1 && PPC != 2 && PPC != 4 && PPC != 8) begin : g_bad_ppc
        $fatal(1, "fcnn_rgb2gray: PPC must be 1, 2, 4 or 8, got %0d", PPC);
    end

    wire ce;   // the skid buffer has room: every stage advances

    // S1: weighted channels.
    logic             s1_valid, s1_user, s1_last;
    logic [23*PPC-1:0] s1_b, s1_g, s1_r;   // lane i at [23*i +: 23]

    always_ff @(posedge clk) begin
        if (ce) begin
            s1_valid <= s_axis_tvalid;
            s1_user  <= s_axis_tuser;
            s1_last  <= s_axis_tlast;
            for (int i = 0; i < PPC; i++) begin
                s1_b[23*i +: 23] <= 23'(s_axis_tdata[24*i + (BGR ? 0 : 16) +: 8]) * 23'(W_B);
                s1_g[23*i +: 23] <= 23'(s_axis_tdata[24*i + 8 +: 8]) * 23'(W_G);
                s1_r[23*i +: 23] <= 23'(s_axis_tdata[24*i + (BGR ? 16 : 0) +: 8]) * 23'(W_R);
            end
        end
        if (rst) s1_valid <= 1'b0;
    end

    // S2: rounded sum (at most 255 * 2**15 + 2**14 < 2**24), top 8 bits.
    logic [8*PPC-1:0] s1_y;
    always_comb begin
        for (int i = 0; i < PPC; i++) begin
            s1_y[8*i +: 8] = 8'((24'(s1_b[23*i +: 23]) + 24'(s1_g[23*i +: 23])
                                + 24'(s1_r[23*i +: 23]) + 24'(1 << (SHIFT - 1))) >> SHIFT);
        end
    end

    wire [8*PPC+1:0] out_payload;

    fcnn_axis_skid #(
        .WIDTH(8 * PPC + 2)
    ) u_skid (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({s1_user, s1_last, s1_y}),
        .s_valid (s1_valid),
        .s_ready (ce),
        .m_data  (out_payload),
        .m_valid (m_axis_tvalid),
        .m_ready (m_axis_tready)
    );

    assign s_axis_tready = ce;
    assign m_axis_tuser  = out_payload[8*PPC+1];
    assign m_axis_tlast  = out_payload[8*PPC];
    assign m_axis_tdata  = out_payload[8*PPC-1:0];

endmodule

`resetall
