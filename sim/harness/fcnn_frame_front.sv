// fcnn_frame_front: the front of the board's frame path, for the rtl backend's fast
// harness (sim/harness/frame_harness.cpp; testbench only: the board's block design wires
// the same cells, boards/design.py).
//
//   s_axis (the frame as video: PPC pixels per beat, tuser = start of frame,
//           tlast = end of line; 8-bit gray or 24-bit BGR pixels)
//     IN_CHANNELS 3, CROP 1: -> fcnn_axis_broadcast -> m0: fcnn_rgb2gray -> g_axis (gray)
//                                                  -> m1: fcnn_crop_scale -> m_axis (codes)
//     IN_CHANNELS 3, CROP 0: -> fcnn_rgb2gray -> g_axis
//     IN_CHANNELS 1, CROP 1: -> fcnn_crop_scale -> m_axis (the gray frame is the edge
//                               core's input as it is; g_axis stays idle)
//
// g_axis carries what the edge core would receive (PPC gray pixels per beat, the input's
// framing); m_axis the classifier core's input (one pixel per beat, tlast on an image's
// last pixel). s_axil_* are the crop block's registers (fpgacnn.spec.cores.CROP_MAP);
// without the crop block they answer nothing (CROP 0 harnesses never access them).
`default_nettype none

module fcnn_frame_front #(
    // Pixels per input beat (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Channels of an input pixel: 3 (24-bit BGR, colour to gray in the fabric) or 1 (gray).
    parameter int IN_CHANNELS = 3,
    // 1: the crop-and-downscale block of the classifier's input is present.
    parameter bit CROP = 1'b1,
    // Byte order of a colour pixel: 1 = BGR (B in the low byte, OpenCV).
    parameter bit BGR = 1'b1,
    // fcnn_crop_scale's output image: channels, width, height.
    parameter int OUT_CHANNELS = 1,
    parameter int OUT_WIDTH = 8,
    parameter int OUT_HEIGHT = 8,
    // Largest frame.
    parameter int MAX_WIDTH = 640,
    parameter int MAX_HEIGHT = 480
) (
    input  wire                         clk,
    input  wire                         rst,

    input  wire [7:0]                   s_axil_awaddr,
    input  wire [2:0]                   s_axil_awprot,
    input  wire                         s_axil_awvalid,
    output wire                         s_axil_awready,
    input  wire [31:0]                  s_axil_wdata,
    input  wire [3:0]                   s_axil_wstrb,
    input  wire                         s_axil_wvalid,
    output wire                         s_axil_wready,
    output wire [1:0]                   s_axil_bresp,
    output wire                         s_axil_bvalid,
    input  wire                         s_axil_bready,
    input  wire [7:0]                   s_axil_araddr,
    input  wire [2:0]                   s_axil_arprot,
    input  wire                         s_axil_arvalid,
    output wire                         s_axil_arready,
    output wire [31:0]                  s_axil_rdata,
    output wire [1:0]                   s_axil_rresp,
    output wire                         s_axil_rvalid,
    input  wire                         s_axil_rready,

    input  wire [8*IN_CHANNELS*PPC-1:0] s_axis_tdata,
    input  wire                         s_axis_tvalid,
    output wire                         s_axis_tready,
    input  wire                         s_axis_tuser,
    input  wire                         s_axis_tlast,

    output wire [8*PPC-1:0]             g_axis_tdata,
    output wire                         g_axis_tvalid,
    input  wire                         g_axis_tready,
    output wire                         g_axis_tuser,
    output wire                         g_axis_tlast,

    output wire [8*OUT_CHANNELS-1:0]    m_axis_tdata,
    output wire                         m_axis_tvalid,
    input  wire                         m_axis_tready,
    output wire                         m_axis_tlast
);

    if (IN_CHANNELS != 1 && IN_CHANNELS != 3) begin : g_bad_channels
        $fatal(1, "fcnn_frame_front: IN_CHANNELS must be 1 or 3, got %0d", IN_CHANNELS);
    end
    if (IN_CHANNELS == 1 && !CROP) begin : g_nothing
        $fatal(1, "fcnn_frame_front: a gray input without the crop block has no front");
    end

    localparam int DW = 8 * IN_CHANNELS * PPC;

    // The crop block's input (the broadcast's m1, or s_axis itself).
    wire [DW-1:0] k_data;
    wire          k_valid, k_ready, k_user, k_last;

    if (IN_CHANNELS == 3) begin : g_gray
        wire [DW-1:0] c_data;
        wire          c_valid, c_ready, c_user, c_last;
        if (CROP) begin : g_bcast
            fcnn_axis_broadcast #(.DATA_W(DW)) u_bcast (
                .clk(clk), .rst(rst),
                .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid),
                .s_axis_tready(s_axis_tready), .s_axis_tuser(s_axis_tuser),
                .s_axis_tlast(s_axis_tlast),
                .m0_axis_tdata(c_data), .m0_axis_tvalid(c_valid), .m0_axis_tready(c_ready),
                .m0_axis_tuser(c_user), .m0_axis_tlast(c_last),
                .m1_axis_tdata(k_data), .m1_axis_tvalid(k_valid), .m1_axis_tready(k_ready),
                .m1_axis_tuser(k_user), .m1_axis_tlast(k_last)
            );
        end else begin : g_direct
            assign c_data = s_axis_tdata;
            assign c_valid = s_axis_tvalid;
            assign s_axis_tready = c_ready;
            assign c_user = s_axis_tuser;
            assign c_last = s_axis_tlast;
            assign k_data = '0;
            assign k_valid = 1'b0;
            assign k_user = 1'b0;
            assign k_last = 1'b0;
        end
        fcnn_rgb2gray #(.PPC(PPC), .BGR(BGR)) u_gray (
            .clk(clk), .rst(rst),
            .s_axis_tdata(c_data), .s_axis_tvalid(c_valid), .s_axis_tready(c_ready),
            .s_axis_tuser(c_user), .s_axis_tlast(c_last),
            .m_axis_tdata(g_axis_tdata), .m_axis_tvalid(g_axis_tvalid),
            .m_axis_tready(g_axis_tready), .m_axis_tuser(g_axis_tuser),
            .m_axis_tlast(g_axis_tlast)
        );
    end else begin : g_no_gray
        assign k_data = s_axis_tdata;
        assign k_valid = s_axis_tvalid;
        assign s_axis_tready = k_ready;
        assign k_user = s_axis_tuser;
        assign k_last = s_axis_tlast;
        assign g_axis_tdata = '0;
        assign g_axis_tvalid = 1'b0;
        assign g_axis_tuser = 1'b0;
        assign g_axis_tlast = 1'b0;
        wire unused_gray = g_axis_tready;   // no gray output without rgb2gray
    end

    if (CROP) begin : g_crop
        fcnn_crop_scale #(
            .PPC(PPC), .IN_CHANNELS(IN_CHANNELS), .BGR(BGR), .OUT_CHANNELS(OUT_CHANNELS),
            .OUT_WIDTH(OUT_WIDTH), .OUT_HEIGHT(OUT_HEIGHT), .MAX_WIDTH(MAX_WIDTH),
            .MAX_HEIGHT(MAX_HEIGHT)
        ) u_crop (
            .clk(clk), .rst(rst),
            .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
            .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
            .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
            .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready),
            .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid),
            .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
            .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid),
            .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata),
            .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
            .s_axil_rready(s_axil_rready),
            .s_axis_tdata(k_data), .s_axis_tvalid(k_valid), .s_axis_tready(k_ready),
            .s_axis_tuser(k_user), .s_axis_tlast(k_last),
            .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid),
            .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
        );
    end else begin : g_no_crop
        assign k_ready = 1'b1;
        assign s_axil_awready = 1'b0;
        assign s_axil_wready = 1'b0;
        assign s_axil_bresp = 2'b00;
        assign s_axil_bvalid = 1'b0;
        assign s_axil_arready = 1'b0;
        assign s_axil_rdata = '0;
        assign s_axil_rresp = 2'b00;
        assign s_axil_rvalid = 1'b0;
        assign m_axis_tdata = '0;
        assign m_axis_tvalid = 1'b0;
        assign m_axis_tlast = 1'b0;
        // no register port and no classifier input without the crop block
        wire unused_crop = &{1'b0, s_axil_awaddr, s_axil_awprot, s_axil_awvalid, s_axil_wdata,
                             s_axil_wstrb, s_axil_wvalid, s_axil_bready, s_axil_araddr,
                             s_axil_arprot, s_axil_arvalid, s_axil_rready, m_axis_tready,
                             k_data, k_valid, k_ready, k_user, k_last};
    end

endmodule

`resetall
