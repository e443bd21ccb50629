# Vitis HLS: C synthesis of fcnn_axis_top (the AXI4-Stream top around the
# hls4ml network) and export as Vivado IP. Written by `fpgacnn convert`; run
# by synthesize.sh from the hls4ml project folder, whose project.tcl gives
# project_name, part and clock_period.
source project.tcl
open_project -reset ${project_name}_axis_prj
set_top fcnn_axis_top
add_files firmware/${project_name}.cpp -cflags "-std=c++14"
add_files ../fcnn_axis_top.cpp -cflags "-std=c++14 -Ifirmware -I.."
open_solution -reset solution1 -flow_target vivado
catch {config_array_partition -maximum_size $maximum_size}
config_compile -name_max_length 80
set_part $part
config_schedule -enable_dsp_full_reg=false
create_clock -period $clock_period -name default
set_clock_uncertainty $clock_uncertainty default
csynth_design
export_design -format ip_catalog -vendor fpgacnn -library hls -ipname fcnn_classifier -version 1.0
exit
