// fcnn_axis_skid: two-entry register slice for a valid/ready stream.
//
// Breaks the combinational ready path: s_ready is a register, so upstream
// logic may use it as a clock enable. Throughput is one beat per clock; data
// is never dropped or duplicated.
`default_nettype none

module fcnn_axis_skid #(
    // Width of the payload carried with each beat.
    parameter int WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst,

    input  wire [WIDTH-1:0] s_data,
    input  wire             s_valid,
    output wire             s_ready,

    output wire [WIDTH-1:0] m_data,
    output wire             m_valid,
    input  wire             m_ready
);

    if (WIDTH < 1) begin : g_bad_width
        $fatal(1, "fcnn_axis_skid: WIDTH must be >= 1, got %0d", WIDTH);
    end

    logic [WIDTH-1:0] out_data_reg, tmp_data_reg;
    logic             out_valid_reg, tmp_valid_reg, s_ready_reg;

    assign s_ready = s_ready_reg;
    assign m_data  = out_data_reg;
    assign m_valid = out_valid_reg;

    always_ff @(posedge clk) begin
        if (s_ready_reg) begin
            // The holding register is empty; take the input beat (if any).
            if (m_ready || !out_valid_reg) begin
                out_valid_reg <= s_valid;
                out_data_reg  <= s_data;
            end else begin
                tmp_valid_reg <= s_valid;
                tmp_data_reg  <= s_data;
                s_ready_reg   <= !s_valid;
            end
        end else if (m_ready) begin
            // Drain the holding register into the output register.
            out_valid_reg <= tmp_valid_reg;
            out_data_reg  <= tmp_data_reg;
            tmp_valid_reg <= 1'b0;
            s_ready_reg   <= 1'b1;
        end
        if (rst) begin
            out_valid_reg <= 1'b0;
            tmp_valid_reg <= 1'b0;
            s_ready_reg   <= 1'b1;
        end
    end

endmodule

`resetall
