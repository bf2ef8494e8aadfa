# Optuna 3.1's side of bench/tune/compare.mjs (Debian python3-optuna; run with /usr/bin/python3):
# best value after N trials per seed for TPE and random search, and sampler time per trial.
import json, math, sys, time
import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
here = __file__.rsplit("/", 1)[0]
F = json.load(open(here + "/functions.json"))
A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
ALPHA = [1.0, 1.2, 3.0, 3.2]

def branin(x):
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s

def hartmann6(x):
    x = np.asarray(x)
    return -float(sum(ALPHA[i] * math.exp(-np.sum(A[i] * (x - P[i]) ** 2)) for i in range(4)))

def rosenbrock4(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))

FUN = {"branin": branin, "hartmann6": hartmann6, "rosenbrock4": rosenbrock4}

def objective(name):
    b = F[name]["bounds"]
    f = FUN[name]
    return lambda t: f([t.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(b)])

def sampler(kind, seed):
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if kind == "tpe-multivariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    return optuna.samplers.RandomSampler(seed=seed)

n_trials, n_seeds = int(sys.argv[1]), int(sys.argv[2])
import warnings
warnings.filterwarnings("ignore")
for name in FUN:
    for kind in ("tpe", "tpe-multivariate", "random"):
        bests = []
        for seed in range(n_seeds):
            s = optuna.create_study(sampler=sampler(kind, seed))
            s.optimize(objective(name), n_trials=n_trials)
            bests.append(s.best_value)
        print(json.dumps({"side": "optuna", "function": name, "sampler": kind, "bests": bests}), flush=True)
# Sampler time per trial over 200 trials (the objective costs ~nothing: the time is the sampler's and the study's).
for name in ("hartmann6",):
    for kind in ("tpe", "tpe-multivariate"):
        s = optuna.create_study(sampler=sampler(kind, 0))
        t0 = time.perf_counter()
        s.optimize(objective(name), n_trials=200)
        dt = time.perf_counter() - t0
        print(json.dumps({"side": "optuna", "function": name, "sampler": kind, "secondsPerTrial200": dt / 200}), flush=True)
