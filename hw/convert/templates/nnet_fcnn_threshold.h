// fpgacnn threshold activation for hls4ml (io_stream): a monotone quantizer with few
// levels (binary_tanh, quantized_relu_po2, quantized_po2) as comparisons.
//
// Per element x (on the input's fixed-point grid): out = levels[k], k = the number of
// thresholds[j] <= x. The thresholds are strictly increasing values of the input type
// (derived from the QKeras quantizer itself by fpgacnn.hw.convert.threshold), the
// levels values of the output type: every comparison and every output is exact.
// Registered with hls4ml by fpgacnn.hw.convert.hls_threshold.
#ifndef NNET_FCNN_THRESHOLD_H_
#define NNET_FCNN_THRESHOLD_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_types.h"

namespace nnet {

struct fcnn_threshold_config {
    // elements per image
    static const unsigned n_in = 1;
    // thresholds (levels: one more)
    static const unsigned n_thresholds = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void fcnn_threshold(hls::stream<data_T> &data, hls::stream<res_T> &res,
                    const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_thresholds],
                    const typename CONFIG_T::level_t levels[CONFIG_T::n_thresholds + 1]) {
    #pragma HLS ARRAY_PARTITION variable = thresholds complete
    #pragma HLS ARRAY_PARTITION variable = levels complete
ThresholdBeat:
    for (unsigned i = 0; i < CONFIG_T::n_in / res_T::size; i++) {
        #pragma HLS PIPELINE
        data_T in_data = data.read();
        res_T out_data;
        PRAGMA_DATA_PACK(out_data)
    ThresholdElement:
        for (unsigned j = 0; j < res_T::size; j++) {
            #pragma HLS UNROLL
            unsigned k = 0;
        ThresholdCompare:
            for (unsigned t = 0; t < CONFIG_T::n_thresholds; t++) {
                #pragma HLS UNROLL
                k += (in_data[j] >= thresholds[t]) ? 1 : 0;
            }
            out_data[j] = levels[k];
        }
        res.write(out_data);
    }
}

} // namespace nnet

#endif
