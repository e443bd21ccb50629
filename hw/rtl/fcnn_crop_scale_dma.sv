// fcnn_crop_scale_dma: fcnn_crop_scale fed from a DMA-framed stream of PPC pixels per beat.
//
// In the board's frame path the edge DMA's MM2S stream (one frame per transfer, tlast
// only at its end, no tuser, PPC pixels per beat as the edge core takes them) is
// broadcast to the edge IP and to this block. The block turns it into what
// fcnn_crop_scale takes: one pixel per beat (the beat's lanes in order, lane 0 first),
// tuser on a frame's first pixel, tlast at each line's last pixel. A frame is
// FRAME_HEIGHT lines of ceil(FRAME_WIDTH/PPC) beats, as the edge core frames it; the
// padding lanes of a line's last beat are skipped. Framing follows fcnn_edge_dma: a DMA
// tlast before the frame's last beat ends the frame early (the line ends there: the crop
// block's malformed-stream policy flags it), beats past a frame's end start the next
// frame, and a reset or a CTRL.SOFT_RESET write restarts the framing.
//
// FRAME_WIDTH and FRAME_HEIGHT are the crop block's own registers
// (fpgacnn.spec.cores.CROP_MAP): this wrapper keeps a copy of each write to them (the
// crop block takes a write when AWVALID, WVALID and both readies are high together)
// and frames with the copy taken at each frame's first beat, so a write during a frame
// changes the next one (as the crop block latches its geometry at each SOF).
//
// Rate: one pixel per clock. At PPC > 1 a beat is taken every PPC clocks (fewer on a
// line's padded last beat); behind fcnn_axis_broadcast this holds the edge path to one
// pixel per clock (see docs/architecture.md "Frame path").
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

    localparam int PB      = 8 * IN_CHANNELS;          // bits of one pixel
    localparam int LOG_PPC = (PPC > 1) ? $clog2(PPC) : 0;
    localparam int KB      = (PPC > 1) ? LOG_PPC : 1;  // lane index bits

    // Copies of FRAME_WIDTH / FRAME_HEIGHT and the soft reset, from the register writes.
    localparam logic [7:0] A_CTRL         = 8'h00;
    localparam logic [7:0] A_FRAME_WIDTH  = 8'h0C;
    localparam logic [7:0] A_FRAME_HEIGHT = 8'h10;
    wire wr = s_axil_awvalid && s_axil_awready && s_axil_wvalid && s_axil_wready;
    logic [15:0] cfg_width, cfg_height;
    wire soft_rst = wr && (s_axil_awaddr == A_CTRL) && s_axil_wstrb[0] && s_axil_wdata[1];
    always_ff @(posedge clk) begin
        if (wr && s_axil_awaddr == A_FRAME_WIDTH && &s_axil_wstrb[1:0])
            cfg_width <= s_axil_wdata[15:0];
        if (wr && s_axil_awaddr == A_FRAME_HEIGHT && &s_axil_wstrb[1:0])
            cfg_height <= s_axil_wdata[15:0];
        if (rst) begin
            cfg_width  <= 16'd1;
            cfg_height <= 16'd1;
        end
    end

    // Beat register and lane counter (the PPC -> 1 down-converter).
    logic [PB*PPC-1:0] beat;
    logic              beat_last;   // the DMA's tlast on this beat
    logic              have;
    logic [KB-1:0]     lane;
    logic [15:0]       fx, fy;      // beat in line, line in frame
    logic [15:0]       fh;          // the frame's geometry (copied at its first beat)
    logic [15:0]       bpl_m1;      // beats per line - 1
    logic [KB-1:0]     eol_lane;    // lane of a line's last pixel: (width - 1) mod PPC
    logic              at_sof;      // the next beat taken is a frame's first
    wire         line_end  = (fx == bpl_m1);
    wire         frame_end = line_end && (fy == fh - 16'd1);
    // The beat's last pixel: its last lane, or on a line's last beat the line's last pixel
    // (the padding lanes after it are skipped).
    wire         pix_eol   = line_end && (lane == eol_lane);
    wire         lane_last = (32'(lane) == PPC - 1) || pix_eol;
    wire  [15:0] cfg_w_m1  = cfg_width - 16'd1;

    wire         c_tready;
    wire         c_fire    = have && c_tready;
    wire         beat_done = c_fire && lane_last;
    assign s_axis_tready   = !have || beat_done;
    wire         in_fire   = s_axis_tvalid && s_axis_tready;

    wire frame_done = beat_done && (beat_last || frame_end);

    always_ff @(posedge clk) begin
        if (frame_done)
            at_sof <= 1'b1;
        if (in_fire && (at_sof || frame_done)) begin
            bpl_m1   <= cfg_w_m1 >> LOG_PPC;
            eol_lane <= KB'(cfg_w_m1 & 16'(PPC - 1));
            fh       <= cfg_height;
            at_sof <= 1'b0;
        end
        if (beat_done) begin
            have <= 1'b0;
            lane <= '0;
            if (beat_last || frame_end) begin
                fx <= '0;
                fy <= '0;
            end else if (line_end) begin
                fx <= '0;
                fy <= fy + 16'd1;
            end else begin
                fx <= fx + 16'd1;
            end
        end else if (c_fire) begin
            lane <= lane + KB'(1);
        end
        if (in_fire) begin
            beat      <= s_axis_tdata;
            beat_last <= s_axis_tlast;
            have      <= 1'b1;
        end
        if (rst || soft_rst) begin
            at_sof <= 1'b1;
            have <= 1'b0;
            lane <= '0;
            fx   <= '0;
            fy   <= '0;
        end
    end

    wire [PB-1:0] pixel = beat[32'(lane) * PB +: PB];

    fcnn_crop_scale #(
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
        .s_axis_tdata   (pixel),
        .s_axis_tvalid  (have),
        .s_axis_tready  (c_tready),
        .s_axis_tuser   ((fx == 16'd0) && (fy == 16'd0) && (lane == '0)),
        .s_axis_tlast   (pix_eol || (beat_last && lane_last)),
        .m_axis_tdata   (m_axis_tdata),
        .m_axis_tvalid  (m_axis_tvalid),
        .m_axis_tready  (m_axis_tready),
        .m_axis_tlast   (m_axis_tlast)
    );

endmodule

`resetall
