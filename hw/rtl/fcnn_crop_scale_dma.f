# RTL file list of fcnn_crop_scale_dma (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_crop_scale.f
fcnn_crop_scale_dma.sv
