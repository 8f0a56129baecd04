package rtnode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// buildMax bounds the build: a cold build cache compiles every dependency.
const buildMax = 5 * time.Minute

// Build compiles rt from the module root into dir/rt and returns its path:
// what runs is the checkout the program is run in, local changes included.
func Build(ctx context.Context, dir string, logf func(string, ...any)) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "github.com/rtserver/rt")
	ctx, cancel := context.WithTimeout(ctx, buildMax)
	defer cancel()
	logf("server: go build -o %s . (in %s)", bin, root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the server: %w", err)
	}
	return bin, nil
}

// ModuleRoot walks up from the working directory to the first go.mod, so
// the programs work from anywhere inside the module.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run inside the rt module")
		}
		dir = parent
	}
}
