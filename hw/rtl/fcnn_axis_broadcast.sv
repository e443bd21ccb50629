// fcnn_axis_broadcast: one AXI4-Stream (video) in, the same beats on two outputs.
//
// Every input beat appears once on m0_axis and once on m1_axis, in order. Each
// output has its own skid buffer, so the two consumers may stall independently
// by up to one beat; an input beat is taken when both outputs have room
// (backpressure from either output holds the input). s_axis_tready is the AND
// of the two skid buffers' registered readies: no combinational path from an
// output's tready to the input. One beat per clock when neither output stalls.
// In the frame path it feeds the gray video to the edge core and to the
// classifier's crop-and-downscale block (fcnn_crop_scale).
`default_nettype none

module fcnn_axis_broadcast #(
    // Width of tdata in bits.
    parameter int DATA_W = 8
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tuser,
    input  wire              s_axis_tlast,

    output wire [DATA_W-1:0] m0_axis_tdata,
    output wire              m0_axis_tvalid,
    input  wire              m0_axis_tready,
    output wire              m0_axis_tuser,
    output wire              m0_axis_tlast,

    output wire [DATA_W-1:0] m1_axis_tdata,
    output wire              m1_axis_tvalid,
    input  wire              m1_axis_tready,
    output wire              m1_axis_tuser,
    output wire              m1_axis_tlast
);

    if (DATA_W < 1) begin : g_bad_width
        $fatal(1, "fcnn_axis_broadcast: DATA_W must be >= 1, got %0d", DATA_W);
    end

    wire ready0, ready1;
    wire both  = ready0 && ready1;
    wire push  = s_axis_tvalid && both;   // offered to a skid buffer only when both take it

    assign s_axis_tready = both;

    fcnn_axis_skid #(
        .WIDTH(DATA_W + 2)
    ) u_skid0 (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({s_axis_tuser, s_axis_tlast, s_axis_tdata}),
        .s_valid (push),
        .s_ready (ready0),
        .m_data  ({m0_axis_tuser, m0_axis_tlast, m0_axis_tdata}),
        .m_valid (m0_axis_tvalid),
        .m_ready (m0_axis_tready)
    );

    fcnn_axis_skid #(
        .WIDTH(DATA_W + 2)
    ) u_skid1 (
        .clk     (clk),
        .rst     (rst),
        .s_data  ({s_axis_tuser, s_axis_tlast, s_axis_tdata}),
        .s_valid (push),
        .s_ready (ready1),
        .m_data  ({m1_axis_tuser, m1_axis_tlast, m1_axis_tdata}),
        .m_valid (m1_axis_tvalid),
        .m_ready (m1_axis_tready)
    );

endmodule

`resetall
