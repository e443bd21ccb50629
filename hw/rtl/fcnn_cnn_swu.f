# RTL file list of fcnn_cnn_swu (compile order); read by fpgacnn.hw.rtl_sources
fcnn_cnn_swu.sv
