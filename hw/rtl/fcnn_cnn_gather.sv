// fcnn_cnn_gather: BEATS input beats of DW bits gathered into one output beat.
//
// Input beat b of a group (b = 0 the first) lands at m_axis_tdata[b*DW +: DW].
// A feature map streamed one pixel per beat (C elements per beat, element c at
// [c*E +: E]) thus leaves as one beat holding its H*W*C elements in Keras (H, W,
// C) flattening order, element (y*W + x)*C + c at [((y*W + x)*C + c)*E +: E]: the
// score vector of a classifier core whose model ends in a feature map.
//
// Groups are counted: every BEATS input beats make one output beat, whatever
// s_axis_tlast says (the core's framer makes every image exactly H*W pixels);
// m_axis_tlast is the s_axis_tlast of the group's last beat.
//
// Storage is one shift register of BEATS*DW bits (a beat enters at the top, the
// earlier ones move down one DW slot): no address decode, one clock enable. The
// output beat is held while m_axis_tready is low; s_axis_tready = !m_axis_tvalid ||
// m_axis_tready, so the next group's first beat enters in the cycle the finished
// group leaves: one input beat per clock, no bubble between groups.
`default_nettype none

module fcnn_cnn_gather #(
    // Width of one input beat (bits).
    parameter int DW = 8,
    // Input beats per output beat (the feature map's H*W pixels).
    parameter int BEATS = 4
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [DW-1:0]        s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,

    output wire [BEATS*DW-1:0]  m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------
    localparam int TW = BEATS * DW;                            // output width
    localparam int CW = (BEATS > 1) ? $clog2(BEATS) : 1;       // beat counter width

    if (DW < 1) begin : g_bad_dw
        $fatal(1, "fcnn_cnn_gather: DW must be >= 1, got %0d", DW);
    end
    if (BEATS < 1) begin : g_bad_beats
        $fatal(1, "fcnn_cnn_gather: BEATS must be >= 1, got %0d", BEATS);
    end

    logic [TW-1:0] data_reg;
    logic [CW-1:0] count_reg;                                  // beats of the group so far
    logic          valid_reg, last_reg;

    wire s_fire = s_axis_tvalid && s_axis_tready;
    wire at_end = count_reg == CW'(BEATS - 1);

    assign s_axis_tready = !valid_reg || m_axis_tready;
    assign m_axis_tdata  = data_reg;
    assign m_axis_tvalid = valid_reg;
    assign m_axis_tlast  = last_reg;

    if (BEATS > 1) begin : g_shift
        always_ff @(posedge clk) begin
            if (s_fire) data_reg <= {s_axis_tdata, data_reg[TW-1:DW]};
        end
    end else begin : g_one
        always_ff @(posedge clk) begin
            if (s_fire) data_reg <= s_axis_tdata;
        end
    end

    always_ff @(posedge clk) begin
        if (valid_reg && m_axis_tready) valid_reg <= 1'b0;
        if (s_fire) begin
            count_reg <= at_end ? '0 : count_reg + CW'(1);
            if (at_end) begin
                valid_reg <= 1'b1;
                last_reg  <= s_axis_tlast;
            end
        end
        if (rst) begin
            count_reg <= '0;
            valid_reg <= 1'b0;
            last_reg  <= 1'b0;
        end
    end

endmodule

`resetall
