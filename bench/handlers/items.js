// A handler over a 1,000-item $state.items: filter, map, sort, write the top 10.
const items = $state.items;
const top = items
  .filter((it) => it.active && it.score > 10)
  .map((it) => ({ id: it.id, name: it.name.toUpperCase(), score: it.score * 2 }))
  .sort((a, b) => b.score - a.score || a.id - b.id)
  .slice(0, 10);
$state.top = top;
return top.length;
