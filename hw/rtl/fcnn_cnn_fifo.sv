// fcnn_cnn_fifo: synchronous first-word-fall-through FIFO for internal streams.
//
// Stream ports are named as AXI4-Stream (s_axis_t*/m_axis_t*, no tlast: carry a
// last flag inside tdata). `count` is the number of stored beats; `m_axis_tdata`
// is valid while `m_axis_tvalid`.
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

    input  wire [WIDTH-1:0]           s_axis_tdata,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,

    output wire [WIDTH-1:0]           m_axis_tdata,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready,

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

    assign s_axis_tready = (cnt != CW'(DEPTH));
    assign m_axis_tvalid = (cnt != CW'(0));
    assign m_axis_tdata  = mem[rd_ptr];
    assign count         = cnt;

    wire push = s_axis_tvalid && s_axis_tready;
    wire pop  = m_axis_tvalid && m_axis_tready;

    always_ff @(posedge clk) begin
        if (push) begin
            mem[wr_ptr] <= s_axis_tdata;
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
