// AXI4-Stream top of the fpgacnn classifier core (DESIGN.md, "Classifier core").
//
// s_axis: the model input streamed pixel by pixel, all channels of one pixel
//   per beat (channel c in bits [c*E, (c+1)*E) with E the input element width,
//   as raw fixed-point codes), TLAST on the last pixel.
// m_axis: one beat per image (fpgacnn.spec.cores.ClassifierOutputLayout): class
//   score k (raw fixed-point code of the network's output type) in bits
//   [k*S, (k+1)*S), the arg-max label (first maximum) in the 8 bits above the
//   scores, the framing status byte in the 8 bits above the label, TLAST set.
//   A model whose output is a feature map (H, W, C) streams it from the network
//   as FCNN_OUT_BEATS = H*W pixels of C elements; they leave flattened in Keras
//   (H, W, C) order as the FCNN_N_CLASSES = H*W*C scores of the one beat, and the
//   label is the index of the largest element.
// Framing (fpgacnn.spec.cnn_framing, the same policy as the generated RTL's
//   fcnn_cnn_framer): pixels are counted and TLAST is read. An early TLAST ends
//   the image: its remaining pixels are zeros, status bit 0 (TLAST_EARLY). A
//   missing TLAST on the last pixel ends the image at the count, status bit 1
//   (TLAST_LATE), and the input is dropped up to and including the next TLAST.
//   Bit 2 (FAULT_SEEN) is sticky from the first faulty image on; bits 7:3 are 0.
// Image-independent: sizes come from fcnn_axis_params.h (written per model),
// types from the hls4ml project's defines.h.
#ifndef FCNN_AXIS_TOP_H_
#define FCNN_AXIS_TOP_H_

// first: it may widen AP_INT_MAX_W for a wide output beat, before ap_int.h is read
#include "fcnn_axis_params.h"

#include "ap_int.h"
#include "hls_stream.h"

#include "fcnn_classifier.h"

static const int FCNN_IN_ELEM_BITS = input_t::value_type::width;
static const int FCNN_SCORE_BITS = result_t::value_type::width;
// Network output beats per image: 1 for flat scores, H*W for an (H, W, C) feature map.
static const int FCNN_OUT_CHANNELS = result_t::size;
static const int FCNN_OUT_BEATS = FCNN_N_CLASSES / FCNN_OUT_CHANNELS;
static_assert(FCNN_N_CLASSES % FCNN_OUT_CHANNELS == 0,
              "FCNN_N_CLASSES must be the network output's pixels times its channels");
static const int FCNN_LABEL_BITS = 8;
static const int FCNN_STATUS_BITS = 8;
// Status bits (fpgacnn.spec.cores.ClassifierStatus).
static const int FCNN_STATUS_TLAST_EARLY = 0;
static const int FCNN_STATUS_TLAST_LATE = 1;
static const int FCNN_STATUS_FAULT_SEEN = 2;
// AXI4-Stream TDATA widths are whole bytes.
static const int FCNN_IN_BITS = ((FCNN_IN_CHANNELS * FCNN_IN_ELEM_BITS + 7) / 8) * 8;
static const int FCNN_OUT_BITS =
    ((FCNN_N_CLASSES * FCNN_SCORE_BITS + FCNN_LABEL_BITS + FCNN_STATUS_BITS + 7) / 8) * 8;
typedef ap_uint<FCNN_STATUS_BITS> fcnn_status_t;

#if defined(__has_include) && __has_include(<ap_axi_sdata.h>)
#include <ap_axi_sdata.h>
typedef hls::axis<ap_uint<FCNN_IN_BITS>, 0, 0, 0> fcnn_in_beat_t;
typedef hls::axis<ap_uint<FCNN_OUT_BITS>, 0, 0, 0> fcnn_out_beat_t;
#else
// Without Vitis HLS headers (C simulation with hls4ml's ap_types only): the
// same members as hls::axis with no side channels.
template <int W> struct fcnn_axis_beat {
    ap_uint<W> data;
    ap_uint<W / 8> keep;
    ap_uint<W / 8> strb;
    ap_uint<1> last;
};
typedef fcnn_axis_beat<FCNN_IN_BITS> fcnn_in_beat_t;
typedef fcnn_axis_beat<FCNN_OUT_BITS> fcnn_out_beat_t;
#endif

void fcnn_axis_top(hls::stream<fcnn_in_beat_t> &s_axis, hls::stream<fcnn_out_beat_t> &m_axis);

#endif
