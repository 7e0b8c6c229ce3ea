package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/eligo/eligo"
)

// The policy in force. At start it is the store's current policy (the
// last one applied, by eligo policy apply, PUT /v1/policy or a SIGHUP);
// when the store holds none, the --policy file or the built-in policy, as
// version 0. While the process runs it follows the store: it reads the
// current policy at once when the fan-out brings another replica's notice
// (Redis), and every --policy-poll in any case. So a policy applied
// anywhere is in force on every replica at once through the fan-out, and
// within --policy-poll without it.

// loadPolicy makes the store's current policy the one in force, when it
// holds one, and logs which policy runs.
func (d *deps) loadPolicy(ctx context.Context, cfg serverConfig) error {
	if _, err := d.engine.LoadPolicy(ctx); err != nil {
		return fmt.Errorf("reading the store's current policy: %w", err)
	}
	p := d.engine.Policy()
	source := "store"
	if p.Version().Seq == 0 {
		source = policyName(cfg.PolicyPath)
		if cfg.PolicyPath != "" {
			source = "file " + cfg.PolicyPath
		}
	}
	cfg.Logger.InfoContext(ctx, "policy in force", "source", source, "policy_version", p.VersionString(), "actions", p.ActionNames(), "segments", len(p.Segments))
	return nil
}

// followPolicy keeps the process at the store's current policy until ctx
// ends (engine.FollowPolicy): on the fan-out's policy notices, when there
// is a fan-out, and every policy poll.
func (d *deps) followPolicy(ctx context.Context) error {
	notices := make(chan struct{}, 1)
	if listen := d.be.listenPolicy; listen != nil {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		listened := make(chan error, 1)
		go func() {
			listened <- listen(ctx, func() {
				select {
				case notices <- struct{}{}:
				default: // one is waiting already: it reads the newest
				}
			})
		}()
		defer func() { cancel(); <-listened }()
	}
	return d.engine.FollowPolicy(ctx, d.policyPoll, notices)
}

// reloadPolicyOnHangup reads the --policy file again on every SIGHUP until
// ctx ends, and applies it (engine.ApplyPolicy, whodunnit system:sighup):
// stored as a new version when it differs from the current one, in force
// at once, pushed to the live streams. A file that cannot be read or
// parsed is logged with what is wrong in it, and nothing changes. Only the
// embedded default (the SQLite store, where the process is the only
// replica and the file is its operator's) reloads; a production
// deployment applies a policy once for every replica (eligo policy
// apply), and logs a SIGHUP as ignored rather than end on it.
func (s *server) reloadPolicyOnHangup(ctx context.Context) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
		}
		switch {
		case s.cfg.Backends.PostgresURL != "":
			s.cfg.Logger.WarnContext(ctx, "SIGHUP ignored: replicas on PostgreSQL follow the store's policy; apply one with eligo policy apply", "policy_version", s.Engine.Policy().VersionString())
		case s.cfg.PolicyPath == "":
			s.cfg.Logger.WarnContext(ctx, "SIGHUP ignored: there is no --policy file to reload", "policy_version", s.Engine.Policy().VersionString())
		default:
			s.reloadPolicy(ctx)
		}
	}
}

// reloadPolicy applies the --policy file as it is now.
func (s *server) reloadPolicy(ctx context.Context) {
	log := s.cfg.Logger
	p, err := loadPolicy(s.cfg.PolicyPath)
	if err != nil {
		log.ErrorContext(ctx, "SIGHUP: the policy file was not applied; the policy in force stays", "path", s.cfg.PolicyPath, "err", err,
			"policy_version", s.Engine.Policy().VersionString())
		return
	}
	sp, created, err := s.Engine.ApplyPolicy(ctx, p, eligo.WhoSystem+":sighup")
	if err != nil {
		log.ErrorContext(ctx, "SIGHUP: storing the policy file failed; the policy in force stays", "path", s.cfg.PolicyPath, "err", err,
			"policy_version", s.Engine.Policy().VersionString())
		return
	}
	log.InfoContext(ctx, "SIGHUP: policy file applied", "path", s.cfg.PolicyPath, "policy_version", sp.Version().String(), "created", created)
}
