#!/usr/bin/env bash
# make-slots.sh CAPABILITIES DAYS FIRST_DAY UNITS > body.json
# Writes a PUT /v1/factories/{id}/capacity body: CAPABILITIES capabilities (bench.c1, ...)
# times DAYS consecutive days from FIRST_DAY, each slot with UNITS units and a unit cost
# that varies with the day, so the slots look like a real calendar.
set -euo pipefail
capabilities=$1 days=$2 first=$3 units=$4
# One `date` call for the whole calendar; GNU date reads the day offsets from stdin.
seq 0 $((days - 1)) | sed "s/.*/$first + & day/" | date -u -f - +%F |
    awk -v caps="$capabilities" -v units="$units" '
        { day[NR] = $0 }
        END {
            printf "{\"slots\":["
            n = 0
            for (c = 1; c <= caps; c++)
                for (d = 1; d <= NR; d++)
                    printf "%s{\"capability\":\"bench.c%d\",\"date\":\"%s\",\"units\":%d,\"unit_cost\":%d}",
                        (n++ ? "," : ""), c, day[d], units, 100 + (d % 7) * 5
            printf "]}\n"
        }'
