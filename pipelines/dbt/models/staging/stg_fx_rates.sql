with source as (select * from {{ source('raw', 'fx_rates') }})
select
    cast(rate_date as date) as rate_date,
    upper(currency) as currency,
    cast(usd_rate as number(18,6)) as usd_rate
from source
