// fcnn_frame_path_top: the frame path of the default board design, for one joint
// simulation (testbench only; the board's block design wires the same cells, see
// boards/README.md "the classifier's input").
//
//   s_axis (the edge DMA's MM2S beat after edge_in_pad: PPC BGR pixels, tlast at the
//   frame's end) -> fcnn_axis_broadcast -> m0: fcnn_rgb2gray -> fcnn_edge_dma -> e_axis
//                                      -> m1: fcnn_crop_scale_dma -> fcnn_classifier
//                                             -> c_axis (the score beat)
//
// e_axil_* are the edge IP's registers, k_axil_* the crop block's.
`default_nettype none

module fcnn_frame_path_top #(
    parameter int PPC = 4,
    parameter int MAX_WIDTH = 640,
    parameter int MAX_HEIGHT = 480,
    parameter int OUT_CHANNELS = 1,
    parameter int OUT_WIDTH = 8,
    parameter int OUT_HEIGHT = 8,
    parameter int CLS_OUT_BITS = 168,
    parameter MEM_DIR = ""
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire [7:0]               e_axil_awaddr,
    input  wire [2:0]               e_axil_awprot,
    input  wire                     e_axil_awvalid,
    output wire                     e_axil_awready,
    input  wire [31:0]              e_axil_wdata,
    input  wire [3:0]               e_axil_wstrb,
    input  wire                     e_axil_wvalid,
    output wire                     e_axil_wready,
    output wire [1:0]               e_axil_bresp,
    output wire                     e_axil_bvalid,
    input  wire                     e_axil_bready,
    input  wire [7:0]               e_axil_araddr,
    input  wire [2:0]               e_axil_arprot,
    input  wire                     e_axil_arvalid,
    output wire                     e_axil_arready,
    output wire [31:0]              e_axil_rdata,
    output wire [1:0]               e_axil_rresp,
    output wire                     e_axil_rvalid,
    input  wire                     e_axil_rready,

    input  wire [7:0]               k_axil_awaddr,
    input  wire [2:0]               k_axil_awprot,
    input  wire                     k_axil_awvalid,
    output wire                     k_axil_awready,
    input  wire [31:0]              k_axil_wdata,
    input  wire [3:0]               k_axil_wstrb,
    input  wire                     k_axil_wvalid,
    output wire                     k_axil_wready,
    output wire [1:0]               k_axil_bresp,
    output wire                     k_axil_bvalid,
    input  wire                     k_axil_bready,
    input  wire [7:0]               k_axil_araddr,
    input  wire [2:0]               k_axil_arprot,
    input  wire                     k_axil_arvalid,
    output wire                     k_axil_arready,
    output wire [31:0]              k_axil_rdata,
    output wire [1:0]               k_axil_rresp,
    output wire                     k_axil_rvalid,
    input  wire                     k_axil_rready,

    input  wire [24*PPC-1:0]        s_axis_tdata,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    input  wire                     s_axis_tlast,

    output wire [8*PPC-1:0]         e_axis_tdata,
    output wire                     e_axis_tvalid,
    input  wire                     e_axis_tready,
    output wire                     e_axis_tlast,

    output wire [CLS_OUT_BITS-1:0]  c_axis_tdata,
    output wire                     c_axis_tvalid,
    input  wire                     c_axis_tready,
    output wire                     c_axis_tlast
);

    wire [24*PPC-1:0] b0_data, b1_data;
    wire              b0_valid, b0_ready, b0_last, b1_valid, b1_ready, b1_last;
    wire              b0_user, b1_user, g_user;   // the DMA carries no tuser

    fcnn_axis_broadcast #(.DATA_W(24 * PPC)) u_bcast (
        .clk(clk), .rst(rst),
        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid),
        .s_axis_tready(s_axis_tready), .s_axis_tuser(1'b0), .s_axis_tlast(s_axis_tlast),
        .m0_axis_tdata(b0_data), .m0_axis_tvalid(b0_valid), .m0_axis_tready(b0_ready),
        .m0_axis_tuser(b0_user), .m0_axis_tlast(b0_last),
        .m1_axis_tdata(b1_data), .m1_axis_tvalid(b1_valid), .m1_axis_tready(b1_ready),
        .m1_axis_tuser(b1_user), .m1_axis_tlast(b1_last)
    );

    wire [8*PPC-1:0] g_data;
    wire             g_valid, g_ready, g_last;

    fcnn_rgb2gray #(.PPC(PPC), .BGR(1'b1)) u_gray (
        .clk(clk), .rst(rst),
        .s_axis_tdata(b0_data), .s_axis_tvalid(b0_valid), .s_axis_tready(b0_ready),
        .s_axis_tuser(b0_user), .s_axis_tlast(b0_last),
        .m_axis_tdata(g_data), .m_axis_tvalid(g_valid), .m_axis_tready(g_ready),
        .m_axis_tuser(g_user), .m_axis_tlast(g_last)
    );

    fcnn_edge_dma #(.PPC(PPC), .MAX_WIDTH(MAX_WIDTH), .MAX_HEIGHT(MAX_HEIGHT)) u_edge (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(e_axil_awaddr), .s_axil_awprot(e_axil_awprot),
        .s_axil_awvalid(e_axil_awvalid), .s_axil_awready(e_axil_awready),
        .s_axil_wdata(e_axil_wdata), .s_axil_wstrb(e_axil_wstrb),
        .s_axil_wvalid(e_axil_wvalid), .s_axil_wready(e_axil_wready),
        .s_axil_bresp(e_axil_bresp), .s_axil_bvalid(e_axil_bvalid),
        .s_axil_bready(e_axil_bready), .s_axil_araddr(e_axil_araddr),
        .s_axil_arprot(e_axil_arprot), .s_axil_arvalid(e_axil_arvalid),
        .s_axil_arready(e_axil_arready), .s_axil_rdata(e_axil_rdata),
        .s_axil_rresp(e_axil_rresp), .s_axil_rvalid(e_axil_rvalid),
        .s_axil_rready(e_axil_rready),
        .s_axis_tdata(g_data), .s_axis_tvalid(g_valid), .s_axis_tready(g_ready),
        .s_axis_tlast(g_last),
        .m_axis_tdata(e_axis_tdata), .m_axis_tvalid(e_axis_tvalid),
        .m_axis_tready(e_axis_tready), .m_axis_tlast(e_axis_tlast)
    );

    wire [8*OUT_CHANNELS-1:0] k_data;
    wire                      k_valid, k_ready, k_last;

    fcnn_crop_scale_dma #(
        .PPC(PPC), .IN_CHANNELS(3), .BGR(1'b1), .OUT_CHANNELS(OUT_CHANNELS),
        .OUT_WIDTH(OUT_WIDTH), .OUT_HEIGHT(OUT_HEIGHT), .MAX_WIDTH(MAX_WIDTH),
        .MAX_HEIGHT(MAX_HEIGHT)
    ) u_crop (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(k_axil_awaddr), .s_axil_awprot(k_axil_awprot),
        .s_axil_awvalid(k_axil_awvalid), .s_axil_awready(k_axil_awready),
        .s_axil_wdata(k_axil_wdata), .s_axil_wstrb(k_axil_wstrb),
        .s_axil_wvalid(k_axil_wvalid), .s_axil_wready(k_axil_wready),
        .s_axil_bresp(k_axil_bresp), .s_axil_bvalid(k_axil_bvalid),
        .s_axil_bready(k_axil_bready), .s_axil_araddr(k_axil_araddr),
        .s_axil_arprot(k_axil_arprot), .s_axil_arvalid(k_axil_arvalid),
        .s_axil_arready(k_axil_arready), .s_axil_rdata(k_axil_rdata),
        .s_axil_rresp(k_axil_rresp), .s_axil_rvalid(k_axil_rvalid),
        .s_axil_rready(k_axil_rready),
        .s_axis_tdata(b1_data), .s_axis_tvalid(b1_valid), .s_axis_tready(b1_ready),
        .s_axis_tlast(b1_last),
        .m_axis_tdata(k_data), .m_axis_tvalid(k_valid), .m_axis_tready(k_ready),
        .m_axis_tlast(k_last)
    );

    fcnn_classifier #(.MEM_DIR(MEM_DIR)) u_cls (
        .clk(clk), .rst(rst),
        .s_axis_tdata(k_data), .s_axis_tvalid(k_valid), .s_axis_tready(k_ready),
        .s_axis_tlast(k_last),
        .m_axis_tdata(c_axis_tdata), .m_axis_tvalid(c_axis_tvalid),
        .m_axis_tready(c_axis_tready), .m_axis_tlast(c_axis_tlast)
    );

    wire _unused = &{1'b0, b1_user, g_user, 1'b0};

endmodule

`resetall
