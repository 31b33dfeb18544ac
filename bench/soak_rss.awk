# The RSS figures of a bench/soak.sh series (lines "t_s rss_kb ..."): each end of the measured
# window is the mean of the samples in its last `avg` seconds (the warm-up's last, the run's
# last), because the RSS swings by tens of MB between samples a minute apart (snapshots, trims).
# Prints: warm_kb end_kb warm_sd_kb end_sd_kb warm_n end_n min_kb max_kb slope_kb_per_min, where
# min / max are over the samples after the warm-up and the slope is the least-squares fit of
# those samples (the growth rate, steady or not).
# Usage: awk -v warmup=300 -v secs=1800 -v avg=120 -f bench/soak_rss.awk rss.tsv
$1 > warmup - avg && $1 <= warmup { wn++; ws += $2; wq += $2 * $2 }
$1 > secs - avg { en++; es += $2; eq += $2 * $2 }
$1 > warmup {
  if (min == "" || $2 < min) min = $2
  if ($2 > max) max = $2
  n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2
}
function sd(n, s, q) { return n > 1 ? sqrt((q - s * s / n) / (n - 1)) : 0 }
END {
  warm = wn ? ws / wn : 0; end = en ? es / en : 0
  slope = (n > 1 && n * sxx - sx * sx != 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60 : 0
  printf "%.0f %.0f %.0f %.0f %d %d %.0f %.0f %.0f\n", warm, end, sd(wn, ws, wq), sd(en, es, eq),
         wn, en, min + 0, max + 0, slope
}
