"""Summary tables of the task record, kept by database triggers and read by the cockpit.

A leader's cockpit counts every task of a subtree by light, state, focus area and unit below, the overdue
ones, and the closures and progress reports of each week. Counting the task rows on every request costs
time in proportion to the subtree (a province root holds a million tasks); these tables hold the same
counts per unit, so a dashboard sums a few thousand rows at most, at any level. See ``triggers`` for how
they are kept exact.
"""
