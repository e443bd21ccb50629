# RTL file list of fcnn_cnn_wrom (compile order); read by fpgacnn.hw.rtl_sources
fcnn_cnn_wrom.sv
