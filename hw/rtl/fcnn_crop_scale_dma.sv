// fcnn_crop_scale_dma: fcnn_crop_scale fed from a DMA-framed stream of PPC pixels per beat.
//
// In the board's frame path the edge DMA's MM2S stream (one frame per transfer, tlast
// only at its end, no tuser, PPC pixels per beat as the edge core takes them) is
// broadcast to the edge IP and to this block. The block gives fcnn_crop_scale (at the
// same PPC) the video framing it takes: tuser on a frame's first beat, tlast on each
// line's last beat. A frame is FRAME_HEIGHT lines of ceil(FRAME_WIDTH/PPC) beats, as the
// edge core frames it (fcnn_crop_scale ignores the padding lanes of a line's last
// beat). Framing follows fcnn_edge_dma: a DMA
// tlast before the frame's last beat ends the frame early (the line ends there: the crop
// block's malformed-stream policy flags it), beats past a frame's end start the next
// frame, and a reset or a CTRL.SOFT_RESET write restarts the framing.
//
// FRAME_WIDTH and FRAME_HEIGHT are the crop block's own registers
// (fpgacnn.spec.cores.CROP_MAP): this wrapper keeps a copy of each write to them (the
// crop block takes a write when AWVALID, WVALID and both readies are high together)
// and frames with the copy taken at each frame's first beat, so a write during a frame
// changes the next one (as the crop block latches its geometry at each SOF; the copy
// is decoded into beats per line a clock after the write, well within the crop
// block's own four clocks).
//
// Rate: one beat (PPC pixels) per clock, the edge core's rate, so behind
// fcnn_axis_broadcast it does not hold the edge path back. The stream passes straight
// through (tready is fcnn_crop_scale's); the framing counters add no register stage.
`default_nettype none

module fcnn_crop_scale_dma #(
    // Pixels per beat of the input stream (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Channels of an input pixel: 1 (8-bit gray) or 3 (24-bit colour).
    parameter int IN_CHANNELS = 1,
    // Byte order of a colour input pixel: 1 = BGR (B in the low byte, OpenCV), 0 = RGB.
    parameter bit BGR = 1'b1,
    // Channels of an output pixel: 1 (gray) or 3 (R, G, B).
    parameter int OUT_CHANNELS = 1,
    // Width of the output image (the classifier's input width), >= 2.
    parameter int OUT_WIDTH = 8,
    // Height of the output image (the classifier's input height), >= 1.
    parameter int OUT_HEIGHT = 8,
    // Largest frame width in pixels.
    parameter int MAX_WIDTH = 1920,
    // Largest frame height in lines.
    parameter int MAX_HEIGHT = 1080
) (
    input  wire                          clk,
    input  wire                          rst,

    // AXI4-Lite register interface (fpgacnn.spec.cores.CROP_MAP)
    input  wire [7:0]                    s_axil_awaddr,
    input  wire [2:0]                    s_axil_awprot,
    input  wire                          s_axil_awvalid,
    output wire                          s_axil_awready,
    input  wire [31:0]                   s_axil_wdata,
    input  wire [3:0]                    s_axil_wstrb,
    input  wire                          s_axil_wvalid,
    output wire                          s_axil_wready,
    output wire [1:0]                    s_axil_bresp,
    output wire                          s_axil_bvalid,
    input  wire                          s_axil_bready,
    input  wire [7:0]                    s_axil_araddr,
    input  wire [2:0]                    s_axil_arprot,
    input  wire                          s_axil_arvalid,
    output wire                          s_axil_arready,
    output wire [31:0]                   s_axil_rdata,
    output wire [1:0]                    s_axil_rresp,
    output wire                          s_axil_rvalid,
    input  wire                          s_axil_rready,

    // From the DMA (through the broadcast): one frame per transfer, PPC pixels per beat
    input  wire [8*IN_CHANNELS*PPC-1:0]  s_axis_tdata,
    input  wire                          s_axis_tvalid,
    output wire                          s_axis_tready,
    input  wire                          s_axis_tlast,

    // To the classifier core: one pixel per beat, tlast on the image's last pixel
    output wire [8*OUT_CHANNELS-1:0]     m_axis_tdata,
    output wire                          m_axis_tvalid,
    input  wire                          m_axis_tready,
    output wire                          m_axis_tlast
);

    if (PPC != 1 && PPC != 2 && PPC != 4 && PPC != 8) begin : g_bad_ppc
        $fatal(1, "fcnn_crop_scale_dma: PPC must be 1, 2, 4 or 8, got %0d", PPC);
    end

    localparam int LOG_PPC = (PPC > 1) ? $clog2(PPC) : 0;

    // Copies of FRAME_WIDTH / FRAME_HEIGHT and the soft reset, from the register writes.
    localparam logic [7:0] A_CTRL         = 8'h00;
    localparam logic [7:0] A_FRAME_WIDTH  = 8'h0C;
    localparam logic [7:0] A_FRAME_HEIGHT = 8'h10;
    wire wr = s_axil_awvalid && s_axil_awready && s_axil_wvalid && s_axil_wready;
    logic [15:0] cfg_width, cfg_height;
    logic [15:0] cfg_bpl_m1, cfg_fh_m1;   // beats per line - 1, lines - 1 (a clock later)
    wire soft_rst = wr && (s_axil_awaddr == A_CTRL) && s_axil_wstrb[0] && s_axil_wdata[1];
    wire [15:0] cfg_w_m1 = cfg_width - 16'd1;
    always_ff @(posedge clk) begin
        if (wr && s_axil_awaddr == A_FRAME_WIDTH && &s_axil_wstrb[1:0])
            cfg_width <= s_axil_wdata[15:0];
        if (wr && s_axil_awaddr == A_FRAME_HEIGHT && &s_axil_wstrb[1:0])
            cfg_height <= s_axil_wdata[15:0];
        cfg_bpl_m1 <= cfg_w_m1 >> LOG_PPC;
        cfg_fh_m1  <= cfg_height - 16'd1;
        if (rst) begin
            cfg_width  <= 16'd1;
            cfg_height <= 16'd1;
        end
    end

    // Framing counters: beat in line, line in frame, and the frame's geometry (copied at
    // its first beat). Before a frame's first beat the counters read 0, and the line
    // length and height of that frame come straight from the copies of the registers.
    logic [15:0] fx, fy;        // beat in line, line in frame
    logic [15:0] fh_m1;         // lines - 1
    logic [15:0] bpl_m1;        // beats per line - 1
    logic        at_sof;        // the next beat is a frame's first
    wire  [15:0] cur_bpl_m1 = at_sof ? cfg_bpl_m1 : bpl_m1;
    wire  [15:0] cur_fh_m1  = at_sof ? cfg_fh_m1 : fh_m1;
    wire         line_end   = (fx == cur_bpl_m1);
    wire         frame_end  = line_end && (fy == cur_fh_m1);

    wire c_tready;
    assign s_axis_tready = c_tready;
    wire in_fire    = s_axis_tvalid && c_tready;
    wire frame_done = in_fire && (s_axis_tlast || frame_end);

    always_ff @(posedge clk) begin
        if (in_fire) begin
            if (at_sof) begin
                bpl_m1 <= cfg_bpl_m1;
                fh_m1  <= cfg_fh_m1;
            end
            at_sof <= frame_done;
            if (frame_done) begin
                fx <= '0;
                fy <= '0;
            end else if (line_end) begin
                fx <= '0;
                fy <= fy + 16'd1;
            end else begin
                fx <= fx + 16'd1;
            end
        end
        if (rst || soft_rst) begin
            at_sof <= 1'b1;
            fx     <= '0;
            fy     <= '0;
        end
    end

    fcnn_crop_scale #(
        .PPC          (PPC),
        .IN_CHANNELS  (IN_CHANNELS),
        .BGR          (BGR),
        .OUT_CHANNELS (OUT_CHANNELS),
        .OUT_WIDTH    (OUT_WIDTH),
        .OUT_HEIGHT   (OUT_HEIGHT),
        .MAX_WIDTH    (MAX_WIDTH),
        .MAX_HEIGHT   (MAX_HEIGHT)
    ) u_crop (
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
        .s_axis_tready  (c_tready),
        .s_axis_tuser   (at_sof),
        .s_axis_tlast   (line_end || s_axis_tlast),
        .m_axis_tdata   (m_axis_tdata),
        .m_axis_tvalid  (m_axis_tvalid),
        .m_axis_tready  (m_axis_tready),
        .m_axis_tlast   (m_axis_tlast)
    );

endmodule

`resetall
