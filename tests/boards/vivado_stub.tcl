# tclsh stand-in for Vivado / Vitis HLS: sources generated scripts so that tclsh
# parses them and executes their control flow, logging every tool command.
#
# usage: tclsh vivado_stub.tcl LOG SCRIPT [SCRIPT ...]
#
# Each SCRIPT is first checked command by command with `info complete`, then
# sourced. Tool commands (anything tclsh does not define) go to `unknown`,
# which logs them and returns a plausible value: a non-empty handle for
# get_*/create_*/make_* queries, "" otherwise. `get_property` answers the run
# and timing queries the scripts check; `get_ipdefs` finds version 1.0 of any IP. `file copy/mkdir/delete`, `open` and
# `exit` are neutralised so nothing outside LOG is touched.
# Exit code 0 when every script ran; 1 with the Tcl error trace otherwise.

set fcnn_stub_log [open [lindex $argv 0] w]

proc fcnn_stub_record {words} {
    puts $::fcnn_stub_log [join $words " "]
}

proc unknown {cmd args} {
    fcnn_stub_record [concat [list $cmd] $args]
    set tail [namespace tail $cmd]
    if {[regexp {^(get_|create_|make_|current_)} $tail]} {
        return "stub:$tail"
    }
    return ""
}

proc get_property {name args} {
    fcnn_stub_record [concat [list get_property $name] $args]
    switch -- $name {
        PROGRESS {return "100%"}
        SLACK {return 0.125}
        DIRECTORY {return /stub/run}
        default {return "stub:$name"}
    }
}

# `version -short`: the Vivado version in FCNN_STUB_VIVADO (the caller sets the board's).
proc version {args} {
    fcnn_stub_record [concat version $args]
    if {[info exists ::env(FCNN_STUB_VIVADO)]} {
        return $::env(FCNN_STUB_VIVADO)
    }
    return ""
}

# The IP catalog holds version 1.0 of every IP a filter asks for.
proc get_ipdefs {args} {
    fcnn_stub_record [concat get_ipdefs $args]
    set filter [lindex $args end]
    if {[regexp {VLNV =~ (\S+):\*} $filter -> prefix]} {
        return [list $prefix:1.0]
    }
    return ""
}

rename file fcnn_stub_file
proc file {sub args} {
    if {$sub in {copy mkdir delete rename}} {
        fcnn_stub_record [concat [list file $sub] $args]
        return ""
    }
    return [fcnn_stub_file $sub {*}$args]
}

rename open fcnn_stub_open
proc open {path args} {
    fcnn_stub_record [list open $path]
    return [fcnn_stub_open /dev/null w]
}

rename exit fcnn_stub_exit
proc exit {args} {
    fcnn_stub_record [concat exit $args]
}

proc fcnn_stub_check_complete {path} {
    set f [fcnn_stub_open $path r]
    set text [read $f]
    close $f
    set cmd ""
    set start 0
    set n 0
    foreach line [split $text "\n"] {
        incr n
        if {$cmd eq ""} {set start $n}
        append cmd $line "\n"
        if {[info complete $cmd]} {set cmd ""}
    }
    if {[string trim $cmd] ne ""} {
        error "$path:$start: command never completes"
    }
}

foreach fcnn_stub_script [lrange $argv 1 end] {
    if {[catch {
        fcnn_stub_check_complete $fcnn_stub_script
        fcnn_stub_record [list # source $fcnn_stub_script]
        source $fcnn_stub_script
    } fcnn_stub_msg]} {
        puts stderr "$fcnn_stub_script: $fcnn_stub_msg\n$::errorInfo"
        close $fcnn_stub_log
        fcnn_stub_exit 1
    }
}
close $fcnn_stub_log
fcnn_stub_exit 0
