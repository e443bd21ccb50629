# RTL file list of fcnn_cnn_gather (compile order); read by fpgacnn.hw.rtl_sources
fcnn_cnn_gather.sv
