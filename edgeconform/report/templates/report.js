  // Progressive enhancement only: every cell is a plain #fragment link that works without this.
  document.documentElement.classList.add("js");
  function edgeconformShow(id, scroll) {
    document.querySelectorAll(".detail.shown").forEach(function (s) { s.classList.remove("shown"); });
    document.querySelectorAll("td.cell.selected").forEach(function (c) { c.classList.remove("selected"); });
    var section = id && document.getElementById(id);
    if (!section || !section.classList.contains("detail")) return false;
    section.classList.add("shown");
    var cell = document.querySelector('td.cell a[href="#' + id + '"]');
    if (cell) cell.parentElement.classList.add("selected");
    if (scroll) section.scrollIntoView({block: "nearest"});
    return true;
  }
  document.addEventListener("DOMContentLoaded", function () { edgeconformShow(location.hash.slice(1), true); });
  document.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#"]');
    if (!link) return;
    var id = link.getAttribute("href").slice(1);
    if (edgeconformShow(id, true)) {
      event.preventDefault();
      history.replaceState(null, "", "#" + id);
    }
  });
