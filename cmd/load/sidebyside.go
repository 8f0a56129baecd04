package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// keyFigure is one figure a row is compared by, side by side with the
// other servers' rows of the same job.
type keyFigure struct {
	Name  string
	Value float64
	Prec  int // decimals; 0 writes the value as thousands does
}

func (k keyFigure) format(v float64) string {
	if k.Prec == 0 {
		return thousands(v)
	}
	return fmt.Sprintf("%.*f", k.Prec, v)
}

// keyFigures are the figures of a row that a comparison quotes, by the
// scenario that measured them; none for a failed row.
func keyFigures(r *row) []keyFigure {
	if r.Error != "" {
		return nil
	}
	switch fig := r.Figures.(type) {
	case *idleFigures:
		return fig.keys()
	case *connectFigures:
		return fig.keys()
	case *hookFigures:
		return fig.fanoutFigures.keys()
	case *fanoutFigures:
		return fig.keys()
	case *stormFigures:
		return []keyFigure{
			{Name: "presence frames per client", Value: fig.FramesPerClient, Prec: 1},
			{Name: "closed by server", Value: float64(sum(fig.ClosedByServer))},
			{Name: "server CPU s", Value: fig.ServerCPUSeconds, Prec: 2},
		}
	case *multiroomFigures:
		return []keyFigure{
			{Name: "sockets joined/s", Value: fig.SocketsPerSec},
			{Name: "KiB per socket", Value: fig.BytesPerSocket / 1024, Prec: 1},
			{Name: "deliveries per server CPU-s", Value: fig.PerCPUSecond},
			{Name: "p99 ms", Value: fig.Latency.P99, Prec: 2},
		}
	}
	return nil
}

func (fig *fanoutFigures) keys() []keyFigure {
	k := []keyFigure{
		{Name: "deliveries/s", Value: fig.DeliveriesPerSec},
		{Name: "deliveries per server CPU-s", Value: fig.PerCPUSecond},
		{Name: "p50 ms", Value: fig.Latency.P50, Prec: 2},
		{Name: "p99 ms", Value: fig.Latency.P99, Prec: 2},
	}
	if fig.BytesPerConn != 0 {
		k = append(k, keyFigure{Name: "KiB per idle connection", Value: fig.BytesPerConn / 1024, Prec: 1})
	}
	return k
}

// sideBySide is one job's key figures, server by server: the median of
// its rounds, with the lowest and highest.
type sideBySide struct {
	Scenario string          `json:"scenario"`
	Command  string          `json:"command"`
	Servers  []serverSummary `json:"servers"`

	names []string // the figures' names in the order the rows give them
}

// serverSummary is one server's rounds of one job.
type serverSummary struct {
	Server  string          `json:"server"`
	Binary  string          `json:"server_binary"`
	Rounds  int             `json:"rounds"` // rows that measured something (failed rounds are left out)
	Failed  int             `json:"failed_rounds,omitempty"`
	Figures []figureSummary `json:"figures"`
}

type figureSummary struct {
	Name   string    `json:"name"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"` // round by round

	key keyFigure // how it is written
}

// summarize groups rows by job, then by server in the order they ran.
func summarizeRows(rows []*row) []*sideBySide {
	var out []*sideBySide
	byJob := map[int]*sideBySide{}
	for _, r := range rows {
		sb := byJob[r.job]
		if sb == nil {
			sb = &sideBySide{Scenario: r.Scenario, Command: r.Command}
			byJob[r.job] = sb
			out = append(out, sb)
		}
		i := slices.IndexFunc(sb.Servers, func(s serverSummary) bool { return s.Server == r.Server })
		if i < 0 {
			sb.Servers = append(sb.Servers, serverSummary{Server: r.Server, Binary: r.Binary})
			i = len(sb.Servers) - 1
		}
		s := &sb.Servers[i]
		keys := keyFigures(r)
		if keys == nil {
			s.Failed++
			continue
		}
		s.Rounds++
		for _, k := range keys {
			if !slices.Contains(sb.names, k.Name) {
				sb.names = append(sb.names, k.Name)
			}
			j := slices.IndexFunc(s.Figures, func(f figureSummary) bool { return f.Name == k.Name })
			if j < 0 {
				s.Figures = append(s.Figures, figureSummary{Name: k.Name, key: k})
				j = len(s.Figures) - 1
			}
			s.Figures[j].Values = append(s.Figures[j].Values, k.Value)
		}
	}
	for _, sb := range out {
		for i := range sb.Servers {
			for j := range sb.Servers[i].Figures {
				f := &sb.Servers[i].Figures[j]
				f.Median, f.Min, f.Max = median(f.Values), slices.Min(f.Values), slices.Max(f.Values)
			}
		}
	}
	return out
}

// median is the middle value, or the mean of the two middle ones.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// print writes the job's table: a line per server, a column per figure;
// "n/a" where a server has no such figure (the bare floor has no joins).
func (sb *sideBySide) print(w io.Writer, rounds int) {
	what := "one round"
	if rounds > 1 {
		what = fmt.Sprintf("median of %d rounds (lowest–highest)", rounds)
	}
	fmt.Fprintf(w, "\nside by side: %s (`%s`), %s:\n\n", sb.Scenario, sb.Command, what)
	fmt.Fprintf(w, "| server | runs | %s |\n|---|---|%s\n", strings.Join(sb.names, " | "), strings.Repeat("---|", len(sb.names)))
	for _, s := range sb.Servers {
		cells := make([]string, len(sb.names))
		for i, name := range sb.names {
			cells[i] = "n/a"
			j := slices.IndexFunc(s.Figures, func(f figureSummary) bool { return f.Name == name })
			if j < 0 {
				continue
			}
			f := s.Figures[j]
			cells[i] = f.key.format(f.Median)
			if len(f.Values) > 1 {
				cells[i] += fmt.Sprintf(" (%s–%s)", f.key.format(f.Min), f.key.format(f.Max))
			}
		}
		runs := fmt.Sprint(s.Rounds)
		if s.Failed > 0 {
			runs += fmt.Sprintf(" (+%d failed)", s.Failed)
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", cmp.Or(s.Server, labelThis), runs, strings.Join(cells, " | "))
	}
}
