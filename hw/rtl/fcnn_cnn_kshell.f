# RTL file list of fcnn_cnn_kshell (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_cnn_fifo.f
fcnn_cnn_kshell.sv
