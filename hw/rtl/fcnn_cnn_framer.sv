// fcnn_cnn_framer: framing of the classifier core's input by pixel count and tlast.
//
// Sits at the input of the generated classifier top. Input: one pixel per beat
// (DW bits), images of PIXELS beats, s_axis_tlast on an image's last pixel.
// Output m_axis_*: exactly PIXELS beats per image, m_axis_tlast on the last,
// whatever the input's tlast did. Output m_status_*: one 8-bit beat per image,
// offered with (or after) the image's last m_axis beat, in image order.
//
// Framing policy (fpgacnn.spec.cnn_framing is its transaction-level model; the
// status bits are fpgacnn.spec.cores.ClassifierStatus):
//   - tlast on pixel PIXELS-1 and on no earlier pixel: the image passes as sent;
//     status 0 (plus the sticky bit).
//   - early tlast (on pixel i < PIXELS-1): the image ends there; pixels
//     i+1..PIXELS-1 are sent as zeros without consuming input (s_axis_tready is
//     low meanwhile); status bit 0 TLAST_EARLY. The next beat starts the next image.
//   - late tlast (none on pixel PIXELS-1): the image ends at the count; status
//     bit 1 TLAST_LATE; the input is then dropped (accepted, not forwarded) up to
//     and including the next beat with tlast; the beat after it starts the next
//     image, framed afresh.
//   - bit 2 FAULT_SEEN is sticky: set in every status from the first faulty image
//     on, until rst. Bits 7:3 are 0.
// So a fault costs at most the damaged image (and the beats dropped after a late
// one); every image framed in time afterwards is computed unchanged.
//
// Timing: no register on the pixel path (tdata/tvalid/tready pass through
// combinationally), so an image still takes PIXELS cycles. The last beat of an
// image moves only when the status register is free (empty, or taken in the same
// cycle); put a FIFO on m_status_* deep enough for the images in flight.
// rst (synchronous, active high) returns to "first pixel, no fault seen".
`default_nettype none

module fcnn_cnn_framer #(
    // Bits of one input beat (one pixel, all channels).
    parameter int DW = 8,
    // Pixels (beats) per image, H*W.
    parameter int PIXELS = 16
) (
    input  wire           clk,
    input  wire           rst,

    input  wire [DW-1:0]  s_axis_tdata,
    input  wire           s_axis_tvalid,
    output wire           s_axis_tready,
    input  wire           s_axis_tlast,

    output wire [DW-1:0]  m_axis_tdata,
    output wire           m_axis_tvalid,
    input  wire           m_axis_tready,
    output wire           m_axis_tlast,

    output wire [7:0]     m_status_tdata,
    output wire           m_status_tvalid,
    input  wire           m_status_tready
);

    if (DW < 1) begin : g_bad_dw
        $fatal(1, "fcnn_cnn_framer: DW must be >= 1, got %0d", DW);
    end
    if (PIXELS < 1) begin : g_bad_pixels
        $fatal(1, "fcnn_cnn_framer: PIXELS must be >= 1, got %0d", PIXELS);
    end

    localparam int CW = PIXELS > 1 ? $clog2(PIXELS) : 1;
    localparam logic [CW-1:0] LAST = CW'(PIXELS - 1);

    // FRAME: forward input; PAD: send zeros after an early tlast; DROP: discard to tlast.
    typedef enum logic [1:0] {FRAME, PAD, DROP} state_t;
    state_t         state;
    logic [CW-1:0]  cnt;          // pixel of the current image sent next
    logic           early_r;      // the current image ended early (PAD)
    logic           sticky_r;     // a fault since rst
    logic [2:0]     st_flags_r;   // status register: flags ...
    logic           st_valid_r;   // ... and its valid

    wire at_last = (cnt == LAST);
    wire st_free = !st_valid_r || m_status_tready;
    // the beat that ends an image needs the status register
    wire can_send = !at_last || st_free;

    assign m_axis_tdata  = (state == FRAME) ? s_axis_tdata : '0;
    assign m_axis_tvalid = ((state == FRAME && s_axis_tvalid) || state == PAD) && can_send;
    assign m_axis_tlast  = at_last;
    assign s_axis_tready = (state == DROP) || (state == FRAME && m_axis_tready && can_send);

    wire take  = s_axis_tvalid && s_axis_tready;
    wire send  = m_axis_tvalid && m_axis_tready;
    wire late  = (state == FRAME) && at_last && !s_axis_tlast;
    wire early = (state == FRAME) && !at_last && s_axis_tlast;
    wire [1:0] flags = {late, early_r || (state == PAD)};

    assign m_status_tdata  = {5'd0, st_flags_r};
    assign m_status_tvalid = st_valid_r;

    always_ff @(posedge clk) begin
        if (m_status_tready) st_valid_r <= 1'b0;
        if (send) begin
            cnt <= at_last ? '0 : cnt + CW'(1);
            if (at_last) begin
                st_valid_r <= 1'b1;
                st_flags_r <= {sticky_r || (|flags), flags};
                sticky_r   <= sticky_r || (|flags);
                early_r    <= 1'b0;
                state      <= late ? DROP : FRAME;
            end else if (early) begin
                early_r <= 1'b1;
                state   <= PAD;
            end
        end else if (state == DROP && take && s_axis_tlast) begin
            state <= FRAME;
        end
        if (rst) begin
            state      <= FRAME;
            cnt        <= '0;
            early_r    <= 1'b0;
            sticky_r   <= 1'b0;
            st_flags_r <= '0;
            st_valid_r <= 1'b0;
        end
    end

endmodule

`resetall
