package presence

import "context"

func (t *Tracker) JoinAll(ctx context.Context, entries []Entry) ([]bool, error) {
	firsts := make([]bool, len(entries))
	for i, e := range entries {
		f, err := t.Join(ctx, e)
		if err != nil {
			return nil, err
		}
		firsts[i] = f
	}
	return firsts, nil
}
