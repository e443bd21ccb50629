// fcnn_cnn_fifo: synchronous first-word-fall-through FIFO for internal streams.
//
// `count` is the number of stored beats; `m_data` is valid while `m_valid`.
// Storage is a memory with asynchronous read (LUT RAM for small depths).
`default_nettype none

module fcnn_cnn_fifo #(
    // Payload width in bits (data and last flag together).
    parameter int WIDTH = 8,
    // Number of entries; a power of two >= 2.
    parameter int DEPTH = 4
) (
    input  wire                       clk,
    input  wire                       rst,

    input  wire [WIDTH-1:0]           s_data,
    input  wire                       s_valid,
    output wire                       s_ready,

    output wire [WIDTH-1:0]           m_data,
    output wire                       m_valid,
    input  wire                       m_ready,

    output wire [$clog2(DEPTH+1)-1:0] count
);

    if (DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0) begin : g_bad_depth
        $fatal(1, "fcnn_cnn_fifo: DEPTH must be a power of two >= 2, got %0d", DEPTH);
    end
    if (WIDTH < 1) begin : g_bad_width
        $fatal(1, "fcnn_cnn_fifo: WIDTH must be >= 1, got %0d", WIDTH);
    end

    localparam int AW = $clog2(DEPTH);
    localparam int CW = $clog2(DEPTH + 1);

    logic [WIDTH-1:0] mem [DEPTH];
    logic [AW-1:0]    wr_ptr, rd_ptr;
    logic [CW-1:0]    cnt;

    assign s_ready = (cnt != CW'(DEPTH));
    assign m_valid = (cnt != CW'(0));
    assign m_data  = mem[rd_ptr];
    assign count   = cnt;

    wire push = s_valid && s_ready;
    wire pop  = m_valid && m_ready;

    always_ff @(posedge clk) begin
        if (push) begin
            mem[wr_ptr] <= s_data;
            wr_ptr      <= wr_ptr + AW'(1);
        end
        if (pop) rd_ptr <= rd_ptr + AW'(1);
        cnt <= cnt + CW'(push) - CW'(pop);
        if (rst) begin
            wr_ptr <= '0;
            rd_ptr <= '0;
            cnt    <= '0;
        end
    end

endmodule

`resetall
