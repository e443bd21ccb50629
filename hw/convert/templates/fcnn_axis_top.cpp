// AXI4-Stream top of the fpgacnn classifier core; the contract (and the framing
// policy) is in fcnn_axis_top.h.
#include "fcnn_axis_top.h"

// Frame one image: PIXELS pixels to the network, whatever TLAST did (zeros after an
// early TLAST; after a late one, the input is dropped up to the next TLAST), and the
// image's status byte to fcnn_pack.
static void fcnn_unpack(hls::stream<fcnn_in_beat_t> &s_axis, hls::stream<input_t> &pixels,
                        hls::stream<fcnn_status_t> &status) {
    static bool sticky = false;  // a framing fault since reset
    bool ended = false;          // an early TLAST was taken: pad the rest
    bool last = false;           // TLAST of the last beat taken
    for (int p = 0; p < FCNN_N_PIXELS; p++) {
#pragma HLS PIPELINE II = 1
        input_t px;
        fcnn_in_beat_t beat;
        beat.data = 0;
        if (!ended) {
            beat = s_axis.read();
            last = beat.last;
            ended = last && p < FCNN_N_PIXELS - 1;
        }
        for (int c = 0; c < FCNN_IN_CHANNELS; c++) {
#pragma HLS UNROLL
            px[c].range() = beat.data.range((c + 1) * FCNN_IN_ELEM_BITS - 1, c * FCNN_IN_ELEM_BITS);
        }
        pixels.write(px);
    }
    const bool late = !ended && !last;
    if (late) {  // drop up to and including the next TLAST
        bool dropped_last = false;
        while (!dropped_last) {
#pragma HLS PIPELINE II = 1
            dropped_last = s_axis.read().last;
        }
    }
    sticky = sticky || ended || late;
    fcnn_status_t st = 0;
    st[FCNN_STATUS_TLAST_EARLY] = ended;
    st[FCNN_STATUS_TLAST_LATE] = late;
    st[FCNN_STATUS_FAULT_SEEN] = sticky;
    status.write(st);
}

// Gather the image's FCNN_OUT_BEATS network beats (pixel-major, channels innermost:
// Keras (H, W, C) flattening order) into the scores, and write the output beat.
static void fcnn_pack(hls::stream<result_t> &scores, hls::stream<fcnn_status_t> &status,
                      hls::stream<fcnn_out_beat_t> &m_axis) {
    typename result_t::value_type r[FCNN_N_CLASSES];
#pragma HLS ARRAY_PARTITION variable = r complete
    for (int b = 0; b < FCNN_OUT_BEATS; b++) {
#pragma HLS PIPELINE II = 1
        const result_t px = scores.read();
        for (int c = 0; c < FCNN_OUT_CHANNELS; c++) {
#pragma HLS UNROLL
            r[b * FCNN_OUT_CHANNELS + c] = px[c];
        }
    }
    ap_uint<FCNN_OUT_BITS> data = 0;
    ap_uint<FCNN_LABEL_BITS> best = 0;
    typename result_t::value_type best_score = r[0];
    for (int k = 0; k < FCNN_N_CLASSES; k++) {
#pragma HLS UNROLL
        data.range((k + 1) * FCNN_SCORE_BITS - 1, k * FCNN_SCORE_BITS) = r[k].range();
        if (r[k] > best_score) {  // strictly greater: the first maximum wins
            best_score = r[k];
            best = k;
        }
    }
    const int label_lsb = FCNN_N_CLASSES * FCNN_SCORE_BITS;
    data.range(label_lsb + FCNN_LABEL_BITS - 1, label_lsb) = best;
    data.range(label_lsb + FCNN_LABEL_BITS + FCNN_STATUS_BITS - 1, label_lsb + FCNN_LABEL_BITS) =
        status.read();
    fcnn_out_beat_t beat;
    beat.data = data;
    beat.keep = -1;
    beat.strb = -1;
    beat.last = 1;
    m_axis.write(beat);
}

void fcnn_axis_top(hls::stream<fcnn_in_beat_t> &s_axis, hls::stream<fcnn_out_beat_t> &m_axis) {
#pragma HLS INTERFACE axis port = s_axis
#pragma HLS INTERFACE axis port = m_axis
#pragma HLS INTERFACE ap_ctrl_none port = return
#pragma HLS DATAFLOW
    hls::stream<input_t> pixels("pixels");
    hls::stream<result_t> scores("scores");
    hls::stream<fcnn_status_t> status("status");
#pragma HLS STREAM variable = status depth = 4
    fcnn_unpack(s_axis, pixels, status);
    fcnn_classifier(pixels, scores);
    fcnn_pack(scores, status, m_axis);
}
