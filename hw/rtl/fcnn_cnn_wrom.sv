// fcnn_cnn_wrom: a folded unit's weight ROM in LUT logic, read through a register.
//
// D words of W bits from $readmemh(WEIGHT_FILE) ("" = all zero: lint and plumbing runs),
// q <= rom[addr] when ce. Vivado builds rom_style "distributed" as LUT6 = 64x1 ROMs;
// yosys (0.23) maps no ROM to LUTRAM and calls the same thing rom_style "logic".
//
// Its own module, kept apart in synthesis (keep_hierarchy, honoured by yosys's flatten
// and by Vivado): flattened into fcnn_cnn_mvu, yosys moved the read register to the
// address side (memory_dff) and merged the ROM's LUTs into the multiply lanes, about
// 1.66 LUT per word bit where a ROM of <= 64 words needs one LUT6 per bit (yosys on
// CNV's conv2, 36 x 2,048 bits: 14,068 LUT flattened, 13,040 kept apart). fcnn_cnn_mvu
// keeps ROMs of <= 64 words here; deeper ones stay inline, where yosys shares their
// column multiplexers (CNV's conv3, 144 x 1,024: 3,187 LUT over block RAM inline, 4,084
// kept apart).
`default_nettype none

(* keep_hierarchy *)
module fcnn_cnn_wrom #(
    // Words.
    parameter int D = 1,
    // Word width (bits).
    parameter int W = 1,
    // Address width.
    parameter int AB = 1,
    // $readmemh file of the D words ("" = all zero).
    parameter WEIGHT_FILE = ""
) (
    input  wire          clk,
    input  wire          ce,
    input  wire [AB-1:0] addr,
    output logic [W-1:0] q
);

`ifdef YOSYS
    (* rom_style = "logic" *) logic [W-1:0] rom [D];
`else
    (* rom_style = "distributed" *) logic [W-1:0] rom [D];
`endif
    if (WEIGHT_FILE != "") begin : g_init
        initial $readmemh(WEIGHT_FILE, rom);
    end else begin : g_zero
        initial for (int a = 0; a < D; a++) rom[a] = '0;
    end

    always_ff @(posedge clk) begin
        if (ce) q <= rom[addr];
    end

endmodule

`resetall
