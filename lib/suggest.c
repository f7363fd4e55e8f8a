#include "lib/suggest.h"

#include <stdbool.h>
#include <string.h>

static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        size_t row[64];

        if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
                return (size_t)-1;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        size_t best = diag + cost;
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
        const char *best = NULL;
        size_t best_d = (size_t)-1;
        size_t limit = strlen(word) / 3 + 1;

        if (limit > 3)
                limit = 3;
        for (size_t i = 0; i < n; i++) {
                size_t d = edit_distance(word, candidates[i]);
                if (d < best_d) {
                        best_d = d;
                        best = candidates[i];
                }
        }
        return best_d <= limit ? best : NULL;
}

size_t suggest_near(const char *word, const char *const *candidates, size_t n, const char **out, size_t max)
{
        size_t limit = strlen(word) / 3 + 1, found = 0, dist[max ? max : 1];
        size_t wlen = strlen(word);

        if (limit > 3)
                limit = 3;
        for (size_t i = 0; i < n && max; i++) {
                /* in half-letters: "fire" for "firefox" (a start of the
                   name) ranks between one typo and two */
                size_t d = edit_distance(word, candidates[i]);
                bool start = wlen >= 3 && strncmp(candidates[i], word, wlen) == 0;
                if (d > limit && !start)
                        continue;
                d = d == (size_t)-1 ? 3 : 2 * d;
                if (start && d > 3)
                        d = 3;
                bool seen = false;
                for (size_t k = 0; k < found; k++)
                        seen |= strcmp(out[k], candidates[i]) == 0;
                if (seen)
                        continue;
                /* kept in order of distance, the farthest dropped when full */
                size_t at = found;
                while (at > 0 && dist[at - 1] > d)
                        at--;
                if (at == max)
                        continue;
                size_t last = found < max ? found : max - 1;
                for (size_t k = last; k > at; k--) {
                        out[k] = out[k - 1];
                        dist[k] = dist[k - 1];
                }
                out[at] = candidates[i];
                dist[at] = d;
                if (found < max)
                        found++;
        }
        return found;
}
