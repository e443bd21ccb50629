// fcnn_edge_dma: the edge core framed for an AXI DMA in simple mode.
//
// An AXI DMA streams one frame per transfer with `tlast` only at the end and
// no `tuser`. This wrapper turns that into video framing for fcnn_edge_core
// (tuser on the first beat, tlast at each line end, counted from the WIDTH
// and HEIGHT registers) and turns the core's output back into one `tlast` per
// frame for the S2MM channel. Register map: fcnn_edge_core.md.
//
// Input framing: a frame is HEIGHT lines of ceil(WIDTH/PPC) beats. A DMA
// `tlast` before the frame's last beat ends the frame early (the core then
// flags SOF_EARLY on the next frame and pads this one); beats past a frame's
// end without a DMA `tlast` start the next frame. A reset (`rst`) or a
// CTRL.SOFT_RESET write also restarts the framing: the next beat is a frame's
// first (the DMA's transfer after a recovery starts a fresh frame).
`default_nettype none

module fcnn_edge_dma #(
    // Pixels per clock (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Largest frame width in pixels.
    parameter int MAX_WIDTH = 1920,
    // Largest frame height in lines.
    parameter int MAX_HEIGHT = 1080
) (
    input  wire             clk,
    input  wire             rst,

    // AXI4-Lite register interface (fcnn_edge_core.md)
    input  wire [7:0]       s_axil_awaddr,
    input  wire [2:0]       s_axil_awprot,
    input  wire             s_axil_awvalid,
    output wire             s_axil_awready,
    input  wire [31:0]      s_axil_wdata,
    input  wire [3:0]       s_axil_wstrb,
    input  wire             s_axil_wvalid,
    output wire             s_axil_wready,
    output wire [1:0]       s_axil_bresp,
    output wire             s_axil_bvalid,
    input  wire             s_axil_bready,
    input  wire [7:0]       s_axil_araddr,
    input  wire [2:0]       s_axil_arprot,
    input  wire             s_axil_arvalid,
    output wire             s_axil_arready,
    output wire [31:0]      s_axil_rdata,
    output wire [1:0]       s_axil_rresp,
    output wire             s_axil_rvalid,
    input  wire             s_axil_rready,

    // From the DMA's MM2S channel: one frame per transfer
    input  wire [8*PPC-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,

    // To the DMA's S2MM channel: one frame per transfer
    output wire [8*PPC-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast
);

    localparam int LOG_PPC = (PPC > 1) ? $clog2(PPC) : 0;

    wire [15:0] cfg_width, cfg_height;
    wire        core_soft_rst;

    // Framer: count beats and lines of the incoming transfer.
    logic [15:0] fx, fy;
    wire  [15:0] bpl       = 16'((32'(cfg_width) + PPC - 1) >> LOG_PPC);
    wire         line_end  = (fx == bpl - 16'd1);
    wire         frame_end = line_end && (fy == cfg_height - 16'd1);
    wire         in_fire   = s_axis_tvalid && s_axis_tready;

    always_ff @(posedge clk) begin
        if (in_fire) begin
            if (s_axis_tlast || frame_end) begin
                fx <= '0;
                fy <= '0;
            end else if (line_end) begin
                fx <= '0;
                fy <= fy + 16'd1;
            end else begin
                fx <= fx + 16'd1;
            end
        end
        if (rst || core_soft_rst) begin
            fx <= '0;
            fy <= '0;
        end
    end

    wire core_tuser, core_tlast, core_eof;

    fcnn_edge_core #(
        .PPC        (PPC),
        .MAX_WIDTH  (MAX_WIDTH),
        .MAX_HEIGHT (MAX_HEIGHT)
    ) u_core (
        .clk            (clk),
        .rst            (rst),
        .s_axil_awaddr  (s_axil_awaddr),
        .s_axil_awprot  (s_axil_awprot),
        .s_axil_awvalid (s_axil_awvalid),
        .s_axil_awready (s_axil_awready),
        .s_axil_wdata   (s_axil_wdata),
        .s_axil_wstrb   (s_axil_wstrb),
        .s_axil_wvalid  (s_axil_wvalid),
        .s_axil_wready  (s_axil_wready),
        .s_axil_bresp   (s_axil_bresp),
        .s_axil_bvalid  (s_axil_bvalid),
        .s_axil_bready  (s_axil_bready),
        .s_axil_araddr  (s_axil_araddr),
        .s_axil_arprot  (s_axil_arprot),
        .s_axil_arvalid (s_axil_arvalid),
        .s_axil_arready (s_axil_arready),
        .s_axil_rdata   (s_axil_rdata),
        .s_axil_rresp   (s_axil_rresp),
        .s_axil_rvalid  (s_axil_rvalid),
        .s_axil_rready  (s_axil_rready),
        .s_axis_tdata   (s_axis_tdata),
        .s_axis_tvalid  (s_axis_tvalid),
        .s_axis_tready  (s_axis_tready),
        .s_axis_tuser   ((fx == 16'd0) && (fy == 16'd0)),
        .s_axis_tlast   (line_end || s_axis_tlast),
        .m_axis_tdata   (m_axis_tdata),
        .m_axis_tvalid  (m_axis_tvalid),
        .m_axis_tready  (m_axis_tready),
        .m_axis_tuser   (core_tuser),
        .m_axis_tlast   (core_tlast),
        .m_axis_eof     (core_eof),
        .cfg_width      (cfg_width),
        .cfg_height     (cfg_height),
        .cfg_soft_rst   (core_soft_rst)
    );

    // Deframer: one tlast per output frame.
    assign m_axis_tlast = core_eof;

    wire _unused = &{1'b0, core_tuser, core_tlast, 1'b0};

endmodule

`resetall
