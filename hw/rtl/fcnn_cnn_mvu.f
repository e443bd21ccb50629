# RTL file list of fcnn_cnn_mvu (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_axis_skid.f
-f fcnn_cnn_wrom.f
fcnn_cnn_mvu.sv
