// fcnn_cnn_kshell: stream shell around a pipelined kernel that cannot stall.
//
// The kernel (e.g. a generated per-pixel convolution) takes `k_in_data` every
// cycle and returns `k_out_data` exactly LATENCY cycles later; it has no
// valid or enable. The shell feeds it only accepted beats, tracks which
// pipeline slots carry data, and catches results in a FIFO. It accepts a new
// beat only while the FIFO has room for it and every beat still in flight,
// so nothing is lost under backpressure. `s_axis_tready` depends on registers only.
`default_nettype none

module fcnn_cnn_kshell #(
    // Kernel input width (bits).
    parameter int IN_W = 8,
    // Kernel output width (bits).
    parameter int OUT_W = 8,
    // Kernel pipeline latency in cycles (0 = combinational).
    parameter int LATENCY = 1,
    // Output FIFO depth; a power of two > LATENCY (for full throughput >= LATENCY + 2).
    parameter int DEPTH = 4
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [IN_W-1:0]   s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tlast,

    // to / from the kernel
    output wire [IN_W-1:0]   k_in_data,
    input  wire [OUT_W-1:0]  k_out_data,

    output wire [OUT_W-1:0]  m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

    if (LATENCY < 0) begin : g_bad_latency
        $fatal(1, "fcnn_cnn_kshell: LATENCY must be >= 0, got %0d", LATENCY);
    end
    if (DEPTH <= LATENCY) begin : g_bad_depth
        $fatal(1, "fcnn_cnn_kshell: DEPTH (%0d) must exceed LATENCY (%0d)", DEPTH, LATENCY);
    end

    localparam int CW = $clog2(DEPTH + 1);

    wire fire = s_axis_tvalid && s_axis_tready;
    assign k_in_data = s_axis_tdata;

    // Valid/last tags travelling beside the kernel pipeline.
    wire out_valid, out_last;
    if (LATENCY == 0) begin : g_comb
        assign out_valid = fire;
        assign out_last  = s_axis_tlast;
    end else if (LATENCY == 1) begin : g_one
        logic tag_valid, tag_last;
        always_ff @(posedge clk) begin
            tag_valid <= fire;
            tag_last  <= s_axis_tlast;
            if (rst) tag_valid <= 1'b0;
        end
        assign out_valid = tag_valid;
        assign out_last  = tag_last;
    end else begin : g_pipe
        logic [LATENCY-1:0] tag_valid, tag_last;
        always_ff @(posedge clk) begin
            tag_valid <= {tag_valid[LATENCY-2:0], fire};
            tag_last  <= {tag_last[LATENCY-2:0], s_axis_tlast};
            if (rst) tag_valid <= '0;
        end
        assign out_valid = tag_valid[LATENCY-1];
        assign out_last  = tag_last[LATENCY-1];
    end

    // Beats accepted but not yet in the FIFO.
    logic [CW-1:0] inflight;
    wire  [CW-1:0] fifo_count;
    always_ff @(posedge clk) begin
        inflight <= inflight + CW'(fire) - CW'(out_valid);
        if (rst) inflight <= '0;
    end

    // Room for one more beat after everything in flight has landed.
    wire [CW:0] occupancy = {1'b0, fifo_count} + {1'b0, inflight};
    assign s_axis_tready = (occupancy < (CW+1)'(DEPTH));

    wire fifo_ready;
    fcnn_cnn_fifo #(
        .WIDTH (OUT_W + 1),
        .DEPTH (DEPTH)
    ) u_fifo (
        .clk           (clk),
        .rst           (rst),
        .s_axis_tdata  ({out_last, k_out_data}),
        .s_axis_tvalid (out_valid),
        .s_axis_tready (fifo_ready),
        .m_axis_tdata  ({m_axis_tlast, m_axis_tdata}),
        .m_axis_tvalid (m_axis_tvalid),
        .m_axis_tready (m_axis_tready),
        .count         (fifo_count)
    );

    wire _unused = &{1'b0, fifo_ready, 1'b0};   // always ready by construction

endmodule

`resetall
