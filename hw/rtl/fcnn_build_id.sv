// fcnn_build_id: a read-only AXI4-Lite register block that reports which build a
// bitstream came from.
//
// The board build instantiates it on the PS's AXI4-Lite bus (an address segment of
// its own, so PYNQ's Overlay.ip_dict lists it) with the 64-bit hardware build id of
// the generated tree as two 32-bit parameters; the board driver reads the id at open
// and refuses a bitstream whose id is not its package's. The register map is
// fpgacnn.spec.build_id.BUILD_ID_MAP:
//
//   0x00 CORE_ID      ASCII "BLID" (0x424C4944)
//   0x04 VERSION      0x00010000 (1.0.0: major 31:16, minor 15:8, patch 7:0)
//   0x08 BUILD_ID_LO  bits 31:0 of the build id  (BUILD_ID_LO parameter)
//   0x0C BUILD_ID_HI  bits 63:32 of the build id (BUILD_ID_HI parameter)
//
// Other addresses read 0. Every write is answered SLVERR and changes nothing.
`default_nettype none

module fcnn_build_id #(
    // Bits 31:0 of the 64-bit hardware build id.
    parameter logic [31:0] BUILD_ID_LO = 32'h0000_0000,
    // Bits 63:32 of the 64-bit hardware build id.
    parameter logic [31:0] BUILD_ID_HI = 32'h0000_0000
) (
    input  wire         clk,
    input  wire         rst,

    // AXI4-Lite register interface (read only)
    input  wire [7:0]   s_axil_awaddr,
    input  wire [2:0]   s_axil_awprot,
    input  wire         s_axil_awvalid,
    output wire         s_axil_awready,
    input  wire [31:0]  s_axil_wdata,
    input  wire [3:0]   s_axil_wstrb,
    input  wire         s_axil_wvalid,
    output wire         s_axil_wready,
    output wire [1:0]   s_axil_bresp,
    output wire         s_axil_bvalid,
    input  wire         s_axil_bready,
    input  wire [7:0]   s_axil_araddr,
    input  wire [2:0]   s_axil_arprot,
    input  wire         s_axil_arvalid,
    output wire         s_axil_arready,
    output wire [31:0]  s_axil_rdata,
    output wire [1:0]   s_axil_rresp,
    output wire         s_axil_rvalid,
    input  wire         s_axil_rready
);

    localparam logic [7:0] A_CORE_ID     = 8'h00;
    localparam logic [7:0] A_VERSION     = 8'h04;
    localparam logic [7:0] A_BUILD_ID_LO = 8'h08;
    localparam logic [7:0] A_BUILD_ID_HI = 8'h0C;

    // ASCII "BLID".
    localparam logic [31:0] CORE_ID = 32'h424C_4944;
    // 1.0.0: major 31:16, minor 15:8, patch 7:0.
    localparam logic [31:0] VERSION = 32'h0001_0000;

    localparam logic [1:0] RESP_OKAY   = 2'b00;
    localparam logic [1:0] RESP_SLVERR = 2'b10;

    // Write channel: address and data are taken together and refused.
    logic bvalid_reg;
    wire  wr_fire = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
    assign s_axil_awready = wr_fire;
    assign s_axil_wready  = wr_fire;
    assign s_axil_bvalid  = bvalid_reg;
    assign s_axil_bresp   = RESP_SLVERR;

    // Read channel.
    logic        rvalid_reg;
    logic [31:0] rdata_reg;
    wire         rd_fire = s_axil_arvalid && !rvalid_reg;
    assign s_axil_arready = rd_fire;
    assign s_axil_rvalid  = rvalid_reg;
    assign s_axil_rdata   = rdata_reg;
    assign s_axil_rresp   = RESP_OKAY;

    logic [31:0] rd_value;
    always_comb begin
        case ({s_axil_araddr[7:2], 2'b00})
            A_CORE_ID:     rd_value = CORE_ID;
            A_VERSION:     rd_value = VERSION;
            A_BUILD_ID_LO: rd_value = BUILD_ID_LO;
            A_BUILD_ID_HI: rd_value = BUILD_ID_HI;
            default:       rd_value = 32'd0;
        endcase
    end

    always_ff @(posedge clk) begin
        if (bvalid_reg && s_axil_bready) bvalid_reg <= 1'b0;
        if (rvalid_reg && s_axil_rready) rvalid_reg <= 1'b0;
        if (wr_fire) bvalid_reg <= 1'b1;
        if (rd_fire) begin
            rvalid_reg <= 1'b1;
            rdata_reg  <= rd_value;
        end
        if (rst) begin
            bvalid_reg <= 1'b0;
            rvalid_reg <= 1'b0;
            rdata_reg  <= 32'd0;
        end
    end

    wire _unused = &{1'b0, s_axil_awaddr, s_axil_awprot, s_axil_wdata, s_axil_wstrb,
                     s_axil_arprot, s_axil_araddr[1:0], 1'b0};

endmodule

`resetall
