package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// terminal is the tool's standard input and whether a person types on
// it. main passes the process's; tests pass a script of answers and say
// whether to treat it as a terminal.
type terminal struct {
	in          io.Reader
	interactive func() bool
}

// yesFlag adds --yes to a command that deletes.
func yesFlag(cmd *cobra.Command, yes *bool) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, "delete without asking; required when standard input is not a terminal")
}

// checkConsent refuses a delete that nobody can confirm (no --yes, and
// standard input is not a terminal to ask on) before the database is
// opened: a script that forgot --yes must not delete anything, and
// says so as a usage error (exit 2).
func (a *app) checkConsent(cmd *cobra.Command, yes bool) error {
	if yes || a.term.interactive() {
		return nil
	}
	return usagef("%q needs --yes to delete when standard input is not a terminal (there is no one to ask); nothing was deleted",
		strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "))
}

// confirmed asks, unless --yes was given, whether to do what describe
// names (it reads the record, so an unknown one is reported before the
// question), and returns the context to delete in: after a prompt, a new
// one, as --timeout bounds the database, not the person answering.
func (a *app) confirmed(ctx context.Context, cmd *cobra.Command, yes bool, describe func(context.Context) (string, error)) (context.Context, context.CancelFunc, error) {
	if yes {
		return ctx, func() {}, nil
	}
	what, err := describe(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := a.confirm(cmd.Context(), what); err != nil {
		return nil, nil, err
	}
	ctx, cancel := a.workContext(cmd)
	return ctx, cancel, nil
}

// confirm asks on the terminal whether to do what (which names exactly
// what goes) and succeeds only on y or yes. It waits for the person, not
// for --timeout, and gives up when the tool is interrupted: the signal
// handler keeps Ctrl-C from ending a blocked read.
func (a *app) confirm(ctx context.Context, what string) error {
	fmt.Fprintf(a.stderr, "%s? This cannot be undone. [y/N] ", what)
	answers := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(a.term.in).ReadString('\n')
		answers <- line
	}()
	var line string
	select {
	case line = <-answers:
	case <-ctx.Done():
		fmt.Fprintln(a.stderr)
		return failf("interrupted, nothing was deleted")
	}
	if !strings.HasSuffix(line, "\n") {
		fmt.Fprintln(a.stderr) // end of input: end the prompt's line
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return failf("not confirmed, nothing was deleted (answer y or yes, or pass --yes)")
}

// plural is n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
