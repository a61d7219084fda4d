# bash completion for mlt                                   -*- shell-script -*-
# Thin on purpose: `mlt __complete WORD... CUR` knows the commands, flags and the project's runs,
# models and data, and answers with candidates and a directive line (see mlt-completion(1)).
# Enable with `source <(mlt completion bash)`, or install as
# /usr/share/bash-completion/completions/mlt.

_mlt() {
    local cur i w
    local -a words=()
    # Rejoin what bash split at COMP_WORDBREAKS (models:/x@alias, --grace=1d, data@v1) so mlt
    # sees whole words: only at the characters that break words here.
    local breaks=
    [[ $COMP_WORDBREAKS == *:* ]] && breaks+=:
    [[ $COMP_WORDBREAKS == *=* ]] && breaks+==
    [[ $COMP_WORDBREAKS == *@* ]] && breaks+=@
    local glue=0
    for ((i = 0; i <= COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((i > 0)) && [[ -n $breaks ]] && [[ $w == [$breaks]* || $glue == 1 ]] && ((${#words[@]} > 0)); then
            words[${#words[@]}-1]+=$w
        else
            words+=("$w")
        fi
        [[ -n $breaks && $w == *[$breaks] ]] && glue=1 || glue=0
    done
    # A word boundary right at the cursor (`mlt runs <TAB>`) leaves COMP_WORDS ending in "".
    # mlt gets the word without the shell's quoting (a leading quote, backslashes).
    cur=${words[${#words[@]}-1]}
    [[ $cur == [\'\"]* ]] && cur=${cur:1}
    cur=${cur//\\/}

    local out
    out=$("${words[0]}" __complete "${words[@]:1:${#words[@]}-2}" "$cur" 2>/dev/null) || return 0
    local -a lines=()
    mapfile -t lines <<<"$out"
    local directive=${lines[${#lines[@]}-1]#:}
    unset "lines[${#lines[@]}-1]"
    [[ $directive =~ ^[0-9]+$ ]] || return 0
    ((directive & 1)) && return 0

    # bash replaces only the part of the word after its last word break: offer that part.
    local pre=
    [[ -n $breaks && $cur == *[$breaks]* ]] && pre=${cur%"${cur##*[$breaks]}"}
    COMPREPLY=()
    # Names come from the project: quote them for the shell (a run named 'x$(cmd)' stays text).
    local line q
    for line in "${lines[@]}"; do
        line=${line%%$'\t'*}
        printf -v q '%q' "${line#"$pre"}"
        COMPREPLY+=("$q")
    done
    if ((${#COMPREPLY[@]} == 0)); then
        if ((directive & 16)); then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        elif ! ((directive & 4)); then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return 0
    fi
    ((directive & 2)) && compopt -o nospace 2>/dev/null
    return 0
}

complete -F _mlt mlt
