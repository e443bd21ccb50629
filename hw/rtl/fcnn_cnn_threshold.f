# RTL file list of fcnn_cnn_threshold (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_axis_skid.f
fcnn_cnn_threshold.sv
