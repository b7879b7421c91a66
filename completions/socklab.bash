# completions/socklab.bash: bash completion for socklab (installed as
# share/bash-completion/completions/socklab).
#
# Commands, options and option values are read from `socklab --help` and
# `socklab COMMAND --help` of the binary being completed, so they always
# match it: a new command or option needs no change here. The help format
# they rely on (docs/architecture.md, "Output conventions"): commands listed
# under "Commands:" as "  NAME  summary"; option lines starting with spaces
# then "-x, --long VALUE" or "--long VALUE", then two or more spaces; the
# choices of an option listed on the lines below it, indented, one per line.

# The commands of socklab ($1: the program).
_socklab_commands()
{
    "$1" --help 2>/dev/null | awk '
        /^Commands:/ { on = 1; next }
        on && /^  [a-z]/ { print $1; next }
        on && /^[^ ]/ { on = 0 }'
}

# "OPTION VALUE-NAME" per option of command $2 ("-" when it takes no value).
_socklab_option_table()
{
    "$1" "$2" --help 2>/dev/null | awk '
        /^ +-/ {
            spec = $0
            sub(/^ +/, "", spec)
            sub(/  .*$/, "", spec)           # drop the description column
            n = split(spec, w, /[ ,]+/)
            val = "-"
            for (i = 1; i <= n; i++) if (w[i] ~ /^[A-Z]/) val = w[i]
            for (i = 1; i <= n; i++) if (w[i] ~ /^--?[A-Za-z0-9]/) print w[i], val
        }'
}

# The choices listed under option $3 in `socklab $2 --help` (e.g. --model):
# the lines below its option line indented less than the description column
# (lines indented to that column continue the description).
_socklab_option_choices()
{
    "$1" "$2" --help 2>/dev/null | awk -v opt="$3" '
        /^ +-/ {
            spec = $0; sub(/^ +/, "", spec); sub(/  .*$/, "", spec)
            n = split(spec, w, /[ ,=]+/)
            on = 0
            for (i = 1; i <= n; i++) if (w[i] == opt) on = 1
            col = match($0, /[^ ]  +[^ ]/) ? RSTART + RLENGTH - 1 : 0
            next
        }
        on && match($0, /^ +[a-z0-9][a-z0-9_.-]*( |$)/) {
            if (match($0, /[^ ]/) < col) print $1
            next
        }
        on && /^[^ ]/ { on = 0 }'
}

_socklab()
{
    local cur prev cmd i prog
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    prog=${COMP_WORDS[0]}
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -*) ;;
        *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_socklab_commands "$prog")" -- "$cur"))
        fi
        return 0
    fi

    local table value
    table=$(_socklab_option_table "$prog" "$cmd")
    value=$(awk -v o="$prev" '$1 == o { print $2; exit }' <<<"$table")
    if [[ -n $value && $value != - ]]; then
        case $value in
        FILE|PATH) COMPREPLY=($(compgen -f -- "$cur")) ;;
        DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$(_socklab_option_choices "$prog" "$cmd" "$prev")" -- "$cur")) ;;
        esac
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$table")" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
}

complete -F _socklab socklab
