// fcnn_edge_core: Sobel edge-detection core with an AXI4-Lite register block.
//
// Video in and out are AXI4-Stream (UG934: tuser = start of frame, tlast =
// end of line), PPC 8-bit gray pixels per beat. The register map and the
// malformed-stream policy are documented in fcnn_edge_core.md next to this
// file; the datapath is fcnn_edge_sobel.
`default_nettype none

module fcnn_edge_core #(
    // Pixels per clock (1, 2, 4 or 8).
    parameter int PPC = 1,
    // Largest frame width in pixels (line buffer depth).
    parameter int MAX_WIDTH = 1920,
    // Largest frame height in lines.
    parameter int MAX_HEIGHT = 1080
) (
    input  wire             clk,
    input  wire             rst,

    // AXI4-Lite register interface
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

    // Video in
    input  wire [8*PPC-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tuser,
    input  wire             s_axis_tlast,

    // Video out (edge map)
    output wire [8*PPC-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tuser,
    output wire             m_axis_tlast,
    // Side outputs for stream adapters (fcnn_edge_dma): end of frame on the
    // output's last beat, the WIDTH / HEIGHT register values, and the one-cycle
    // pulse of a CTRL.SOFT_RESET write (the cycle the datapath is reset).
    output wire             m_axis_eof,
    output wire [15:0]      cfg_width,
    output wire [15:0]      cfg_height,
    output wire             cfg_soft_rst
);

    localparam logic [31:0] CORE_ID = 32'h45444745;   // "EDGE"
    localparam logic [31:0] VERSION = 32'h00010000;   // 1.0.0

    // Register offsets (bytes).
    localparam logic [7:0] A_CTRL        = 8'h00;
    localparam logic [7:0] A_STATUS      = 8'h04;
    localparam logic [7:0] A_ERROR       = 8'h08;
    localparam logic [7:0] A_WIDTH       = 8'h0C;
    localparam logic [7:0] A_HEIGHT      = 8'h10;
    localparam logic [7:0] A_THRESHOLD   = 8'h14;
    localparam logic [7:0] A_FRAME_COUNT = 8'h18;
    localparam logic [7:0] A_DROP_COUNT  = 8'h1C;
    localparam logic [7:0] A_CORE_ID     = 8'h20;
    localparam logic [7:0] A_VERSION     = 8'h24;
    localparam logic [7:0] A_CFG_PPC         = 8'h28;
    localparam logic [7:0] A_CFG_MAX_WIDTH   = 8'h2C;
    localparam logic [7:0] A_CFG_MAX_HEIGHT  = 8'h30;

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------
    logic        reg_enable;
    logic        soft_rst;
    logic [5:0]  reg_error;
    logic [15:0] reg_width, reg_height;
    logic [11:0] reg_threshold;
    logic [31:0] reg_frames, reg_drops;

    wire sts_busy, sts_wait_sof, sts_dropping;
    wire evt_eol_early, evt_eol_late, evt_sof_early, evt_sof_missing;
    wire evt_frame_long, evt_bad_size, evt_drop, evt_frame_done;

    // Write channel: address and data are taken together.
    logic bvalid_reg;
    wire  wr_fire = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
    assign s_axil_awready = wr_fire;
    assign s_axil_wready  = wr_fire;
    assign s_axil_bvalid  = bvalid_reg;
    assign s_axil_bresp   = 2'b00;

    wire [7:0]  wr_addr = {s_axil_awaddr[7:2], 2'b00};
    wire [31:0] wr_mask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}},
                           {8{s_axil_wstrb[1]}}, {8{s_axil_wstrb[0]}}};
    wire [31:0] wr_data = s_axil_wdata & wr_mask;

    // Read channel.
    logic        rvalid_reg;
    logic [31:0] rdata_reg;
    wire         rd_fire = s_axil_arvalid && !rvalid_reg;
    assign s_axil_arready = rd_fire;
    assign s_axil_rvalid  = rvalid_reg;
    assign s_axil_rdata   = rdata_reg;
    assign s_axil_rresp   = 2'b00;

    logic [31:0] rd_value;
    always_comb begin
        case ({s_axil_araddr[7:2], 2'b00})
            A_CTRL:        rd_value = {31'd0, reg_enable};
            A_STATUS:      rd_value = {29'd0, sts_dropping, sts_wait_sof, sts_busy};
            A_ERROR:       rd_value = {26'd0, reg_error};
            A_WIDTH:       rd_value = {16'd0, reg_width};
            A_HEIGHT:      rd_value = {16'd0, reg_height};
            A_THRESHOLD:   rd_value = {20'd0, reg_threshold};
            A_FRAME_COUNT: rd_value = reg_frames;
            A_DROP_COUNT:  rd_value = reg_drops;
            A_CORE_ID:     rd_value = CORE_ID;
            A_VERSION:     rd_value = VERSION;
            A_CFG_PPC:         rd_value = 32'(PPC);
            A_CFG_MAX_WIDTH:   rd_value = 32'(MAX_WIDTH);
            A_CFG_MAX_HEIGHT:  rd_value = 32'(MAX_HEIGHT);
            default:       rd_value = 32'd0;
        endcase
    end

    wire [5:0] err_events = {evt_bad_size, evt_frame_long, evt_sof_missing,
                             evt_sof_early, evt_eol_late, evt_eol_early};

    always_ff @(posedge clk) begin
        soft_rst <= 1'b0;

        if (bvalid_reg && s_axil_bready) bvalid_reg <= 1'b0;
        if (rvalid_reg && s_axil_rready) rvalid_reg <= 1'b0;

        if (rd_fire) begin
            rvalid_reg <= 1'b1;
            rdata_reg  <= rd_value;
        end

        // Events first, so a clear written in the same cycle loses to a new event.
        reg_error <= reg_error | err_events;
        if (evt_frame_done) reg_frames <= reg_frames + 32'd1;
        if (evt_drop)       reg_drops  <= reg_drops + 32'd1;

        if (wr_fire) begin
            bvalid_reg <= 1'b1;
            case (wr_addr)
                A_CTRL: begin
                    if (s_axil_wstrb[0]) begin
                        reg_enable <= s_axil_wdata[0];
                        soft_rst   <= s_axil_wdata[1];
                    end
                end
                A_ERROR:       reg_error     <= (reg_error & ~wr_data[5:0]) | err_events;
                A_WIDTH:       reg_width     <= (reg_width & ~wr_mask[15:0]) | wr_data[15:0];
                A_HEIGHT:      reg_height    <= (reg_height & ~wr_mask[15:0]) | wr_data[15:0];
                A_THRESHOLD:   reg_threshold <= (reg_threshold & ~wr_mask[11:0]) | wr_data[11:0];
                A_FRAME_COUNT: reg_frames    <= 32'd0;
                A_DROP_COUNT:  reg_drops     <= 32'd0;
                default: ;
            endcase
        end

        if (rst) begin
            bvalid_reg    <= 1'b0;
            rvalid_reg    <= 1'b0;
            rdata_reg     <= 32'd0;
            reg_enable    <= 1'b1;
            soft_rst      <= 1'b0;
            reg_error     <= '0;
            reg_width     <= 16'(MAX_WIDTH);
            reg_height    <= 16'(MAX_HEIGHT);
            reg_threshold <= '0;
            reg_frames    <= '0;
            reg_drops     <= '0;
        end
    end

    assign cfg_soft_rst = soft_rst;

    // ------------------------------------------------------------------
    // Datapath
    // ------------------------------------------------------------------
    fcnn_edge_sobel #(
        .PPC        (PPC),
        .MAX_WIDTH  (MAX_WIDTH),
        .MAX_HEIGHT (MAX_HEIGHT)
    ) u_sobel (
        .clk             (clk),
        .rst             (rst || soft_rst),
        .cfg_enable      (reg_enable),
        .cfg_width       (reg_width),
        .cfg_height      (reg_height),
        .cfg_threshold   (reg_threshold),
        .s_axis_tdata    (s_axis_tdata),
        .s_axis_tvalid   (s_axis_tvalid),
        .s_axis_tready   (s_axis_tready),
        .s_axis_tuser    (s_axis_tuser),
        .s_axis_tlast    (s_axis_tlast),
        .m_axis_tdata    (m_axis_tdata),
        .m_axis_tvalid   (m_axis_tvalid),
        .m_axis_tready   (m_axis_tready),
        .m_axis_tuser    (m_axis_tuser),
        .m_axis_tlast    (m_axis_tlast),
        .m_axis_eof      (m_axis_eof),
        .sts_busy        (sts_busy),
        .sts_wait_sof    (sts_wait_sof),
        .sts_dropping    (sts_dropping),
        .evt_eol_early   (evt_eol_early),
        .evt_eol_late    (evt_eol_late),
        .evt_sof_early   (evt_sof_early),
        .evt_sof_missing (evt_sof_missing),
        .evt_frame_long  (evt_frame_long),
        .evt_bad_size    (evt_bad_size),
        .evt_drop        (evt_drop),
        .evt_frame_done  (evt_frame_done)
    );

    assign cfg_width  = reg_width;
    assign cfg_height = reg_height;

    // The protection bits carry no meaning for this core.
    wire _unused = &{1'b0, s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0],
                     s_axil_araddr[1:0], wr_data[31:16], 1'b0};

endmodule

`resetall
