# fish completion for mlt. Thin on purpose: `mlt __complete WORD... CUR` knows the commands,
# flags and the project's runs, models and data, and answers with `value<TAB>description` lines
# (fish's own format) and a directive line (see mlt-completion(1)). Installed in
# /usr/share/fish/vendor_completions.d, or `mlt completion fish | source`.

function __mlt_complete
    set -l args (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($args[1] __complete $args[2..-1] "$cur" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    string match -qr '^[0-9]+$' -- $directive; or return
    test (math "bitand($directive, 1)") -ne 0; and return
    if test (count $out) -eq 0
        if test (math "bitand($directive, 16)") -ne 0
            __fish_complete_directories "$cur"
        else if test (math "bitand($directive, 4)") -eq 0
            __fish_complete_path "$cur"
        end
        return
    end
    printf '%s\n' $out
end

complete -c mlt -f -a '(__mlt_complete)'
